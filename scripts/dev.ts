// `npm run dev`: the whole system on one machine. Checks that Postgres and Redis answer, migrates and
// seeds the demo event, starts the Temporal dev server (persisted under .data/), stripe-mock with the
// payments fault fixture in front of it, one worker and the API as child processes, waits until the
// API is ready, starts a Prometheus scraping them when one is installed, and prints where everything is.
// Ctrl-C or SIGTERM stops everything it started; a child that dies stops the rest (exit 1).
//
// Environment given to it overrides its defaults and reaches the worker and the API. Three of them also
// change what it starts: a non-local TEMPORAL_ADDRESS (a cluster, Temporal Cloud) starts no Temporal
// server, DEV_TEMPORAL=server starts the real Temporal server on Postgres (4 history shards, no Web UI)
// instead of the dev server, and a STRIPE_API_URL (https://api.stripe.com for a real test account)
// starts no stripe-mock and no fixture.
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, relative } from 'node:path';
import type { Connection } from '@temporalio/client';
import { migrate } from '../db/migrate';
import { type Config, ConfigError, devSecrets, loadConfig } from '../src/platform/config';
import { createPool } from '../src/platform/db';
import { projectRoot, resolveTool, stripeMock, ToolNotFoundError, temporalCli } from './lib/binaries';
import { devEnvironment, givenVariables, stripeFixturePort } from './lib/dev-env';
import {
  findPrometheus,
  preparePrometheus,
  prometheusInstallHint,
  waitForPrometheus,
} from './lib/dev-prometheus';
import {
  devServerArgs,
  ensureSearchAttributes,
  waitForTemporal,
  waitForWorkerPolling,
} from './lib/dev-temporal';
import { checkPostgres, checkRedis, ensureDatabase, PreflightError } from './lib/preflight';
import { ChildExitedError, describeExit, Supervisor, waitForLine, watchAncestors } from './lib/processes';
import { demoEvent, seedEvent } from './lib/seed';
import { builtInFaults, type StripeFixture, startStripeFixture } from './lib/stripe-fixture';
import { startTemporalPostgres, TemporalPostgresError } from './lib/temporal-postgres';
import { visibilityDatabase } from './lib/temporal-postgres-config';

const stripeMockPort = 12111;
/** Signs the fixture's webhooks to the API when no STRIPE_WEBHOOK_SECRET is given. */
const devWebhookSecret = devSecrets.STRIPE_WEBHOOK_SECRET;
/** The Temporal dev server's Prometheus metrics (fixed, so the dev Prometheus knows where they are). */
const temporalMetricsPort = 9233;
const prometheusPort = 9090;
const dataDir = join(projectRoot, '.data');
const temporalDbFile = join(dataDir, 'temporal.db');
/** DEV_TEMPORAL=server: the real server's databases (beside `boxoffice`, never compose's `temporal`). */
const temporalServerDatabase = 'boxoffice_temporal';
/** Its config and log. */
const temporalServerDir = join(dataDir, 'temporal-server');
const prometheusDir = join(dataDir, 'prometheus');
const tsx = join(projectRoot, 'node_modules', '.bin', 'tsx');

/** An expected failure: printed as one line, without a stack. */
class DevError extends Error {}

const log = (line: string) => process.stdout.write(`[dev] ${line}\n`);

const supervisor = new Supervisor();
/** In-process, unlike the children: stopped after them. */
let stripeFixture: StripeFixture | undefined;
let shutdown: Promise<void> | undefined;
let firstSignalAt = 0;

function stopEverything(exitCode: number, reason: string): Promise<void> {
  if (shutdown) return shutdown;
  if (supervisor.startedCount === 0) process.exit(exitCode);
  log(reason);
  shutdown = supervisor.stopAll().then(async () => {
    await stripeFixture?.stop();
    const left = supervisor.running();
    if (left.length > 0)
      log(`still running after stop: ${left.map((p) => `${p.name} (${p.pid})`).join(', ')}`);
    else log('stopped everything it started');
    process.exit(exitCode);
  });
  return shutdown;
}

function onSignal(signal: NodeJS.Signals) {
  const now = Date.now();
  if (!shutdown) {
    firstSignalAt = now;
    void stopEverything(0, `${signal}: stopping (press Ctrl-C again to kill at once)`);
  } else if (now - firstSignalAt > 1500) {
    // npm and tsx relay the terminal's Ctrl-C once more right after the first; only a later one forces.
    log(`${signal} again: killing everything now`);
    supervisor.killAllNow();
    process.exit(130);
  }
}

process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
process.on('SIGHUP', onSignal);
// Last resort if this process dies of an error: no child may outlive it.
process.on('exit', () => supervisor.killAllNow());
// `kill <pid of npm>` reaches only npm's shell, not this process: notice and stop too.
watchAncestors((why) => void stopEverything(0, `${why}: stopping`));

/** DEV_TEMPORAL: the CLI's dev server (default) or the real server on Postgres. */
function temporalKind(value: string | undefined): 'dev' | 'server' {
  if (value === undefined || value === 'dev' || value === 'server') return value ?? 'dev';
  throw new DevError(`DEV_TEMPORAL must be dev or server, got ${value}`);
}

function isLocal(address: string | undefined): boolean {
  if (!address) return true;
  const host = address.slice(0, address.lastIndexOf(':'));
  return ['127.0.0.1', 'localhost', '0.0.0.0', '[::1]', '::1'].includes(host);
}

function portFromAddress(address: string): number {
  return Number(address.slice(address.lastIndexOf(':') + 1));
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '0.0.0.0', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

async function checkPorts(ports: { port: number; what: string }[]): Promise<void> {
  for (const { port, what } of ports) {
    if (!(await portIsFree(port))) {
      throw new DevError(
        `port ${port} (${what}) is already in use: stop whatever holds it (another 'npm run dev'? see 'ss -ltnp sport = :${port}') and try again`,
      );
    }
  }
}

async function checkServices(config: Config): Promise<void> {
  const results = await Promise.allSettled([checkPostgres(config.databaseUrl), checkRedis(config.redisUrl)]);
  const problems = results.flatMap((r) => (r.status === 'rejected' ? [(r.reason as Error).message] : []));
  if (problems.length > 0) throw new DevError(problems.join('\n'));
}

async function prepareDatabase(config: Config): Promise<void> {
  await ensureDatabase(config.databaseUrl);
  await migrate(config.databaseUrl, (line) => {
    if (line.trim()) log(`migrate: ${line.trim()}`);
  });
  const pool = createPool(config.databaseUrl, 2);
  try {
    const seeded = await seedEvent(pool, demoEvent());
    log(
      `${seeded.created ? 'seeded' : 'demo event already there:'} ${seeded.eventId} (${seeded.totalSeats} seats)`,
    );
  } finally {
    await pool.end();
  }
}

async function waitForReadyz(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(3000) });
      if (response.status === 200) return;
      last = `${response.status} ${await response.text()}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  throw new DevError(`the API did not become ready at ${url} within ${timeoutMs / 1000} s (last: ${last})`);
}

/**
 * Starts a Prometheus scraping the API, the worker and the Temporal dev server when one is installed and
 * its port is free, and returns its URL; says why not otherwise. The stack never depends on it.
 */
async function startPrometheus(config: Config, scrapeTemporal: boolean): Promise<string | undefined> {
  const binary = findPrometheus();
  if (!binary) {
    log(prometheusInstallHint);
    return undefined;
  }
  if (!(await portIsFree(prometheusPort))) {
    log(`port ${prometheusPort} is in use (another Prometheus?): not starting one`);
    return undefined;
  }
  const args = preparePrometheus({
    dir: prometheusDir,
    listen: `127.0.0.1:${prometheusPort}`,
    targets: {
      'boxoffice-api': `127.0.0.1:${config.port}`,
      'boxoffice-worker': `127.0.0.1:${config.workerMetricsPort}`,
      ...(scrapeTemporal && { temporal: `127.0.0.1:${temporalMetricsPort}` }),
    },
  });
  supervisor.start({ name: 'prometheus', command: binary, args, cwd: projectRoot, stopGraceMs: 10_000 });
  const url = `http://127.0.0.1:${prometheusPort}`;
  await supervisor.watch(waitForPrometheus(url, 30_000));
  return url;
}

async function main(): Promise<void> {
  // Empty values count as unset, as in src/platform/config.ts, so `PORT=` falls back to the default.
  const given = givenVariables();
  // The development values (scripts/lib/dev-env.ts), shared with the commands run beside this stack.
  const env = devEnvironment(given);
  const startTemporal = isLocal(given.TEMPORAL_ADDRESS);
  const realTemporal = startTemporal && temporalKind(given.DEV_TEMPORAL) === 'server';
  const startStripeMock = !given.STRIPE_API_URL;

  let config: Config;
  try {
    config = loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) throw new DevError(error.message);
    throw error;
  }
  if (config.port === 0) throw new DevError('PORT=0 is not supported by npm run dev: choose a port');
  if (config.workerMetricsPort === 0) {
    throw new DevError('WORKER_METRICS_PORT=0 is not supported by npm run dev: choose a port');
  }
  const temporalPort = portFromAddress(config.temporal.address);
  const uiPort = temporalPort + 1000;

  await checkPorts([
    { port: config.port, what: 'API' },
    { port: config.workerMetricsPort, what: "worker's metrics (WORKER_METRICS_PORT)" },
    ...(startTemporal
      ? [
          { port: temporalPort, what: 'Temporal frontend' },
          ...(realTemporal ? [] : [{ port: uiPort, what: 'Temporal UI' }]),
          { port: temporalMetricsPort, what: "Temporal's metrics" },
        ]
      : []),
    ...(startStripeMock
      ? [
          { port: stripeMockPort, what: 'stripe-mock' },
          { port: stripeFixturePort, what: 'Stripe fault fixture' },
        ]
      : []),
  ]);
  await checkServices(config);
  await prepareDatabase(config);

  // Resolving may build a tool with `go install` once; its progress shows here.
  const temporalPath = startTemporal && !realTemporal ? resolveTool(temporalCli, log) : undefined;
  const stripeMockPath = startStripeMock ? resolveTool(stripeMock, log) : undefined;

  let connection: Connection | undefined;
  if (temporalPath) {
    mkdirSync(dataDir, { recursive: true });
    supervisor.start({
      name: 'temporal',
      command: temporalPath,
      args: devServerArgs({
        dbFilename: temporalDbFile,
        ip: '127.0.0.1',
        port: temporalPort,
        uiPort,
        metricsPort: temporalMetricsPort,
        namespace: config.temporal.namespace,
      }),
      cwd: projectRoot,
      stopGraceMs: 15_000,
    });
  }
  if (stripeMockPath) {
    const mock = supervisor.start({
      name: 'stripe-mock',
      command: stripeMockPath,
      args: ['-http-addr', `127.0.0.1:${stripeMockPort}`, '-https-addr', '127.0.0.1:0'],
      stopGraceMs: 5_000,
    });
    await supervisor.watch(waitForLine(mock, /Listening for HTTP at address/, 30_000));
    // Declines, 5xx, latency and webhooks come from the fixture; stripe-mock validates every request.
    stripeFixture = await startStripeFixture({
      upstreamUrl: `http://127.0.0.1:${stripeMockPort}`,
      port: stripeFixturePort,
      webhook: {
        url: `http://127.0.0.1:${config.port}/v1/webhooks/stripe`,
        secret: config.stripe.webhookSecret ?? devWebhookSecret,
      },
    });
  }
  if (realTemporal) {
    // Waits until it answers with the namespace and search attributes registered; it persists in
    // Postgres as the dev server does in .data/temporal.db.
    await startTemporalPostgres({
      supervisor,
      log,
      postgresUrl: config.databaseUrl,
      databasePrefix: temporalServerDatabase,
      reset: false,
      ports: { frontend: temporalPort, metrics: temporalMetricsPort },
      namespace: config.temporal.namespace,
      dir: temporalServerDir,
    });
  }
  if (startTemporal) {
    connection = await supervisor.watch(
      waitForTemporal(config.temporal.address, config.temporal.namespace, 60_000),
    );
    const added = await ensureSearchAttributes(connection, config.temporal.namespace);
    if (added.length > 0) log(`registered search attributes: ${added.join(', ')}`);
  }

  const workerStartedAt = Date.now() - 1000;
  supervisor.start({
    name: 'worker',
    command: tsx,
    args: ['workers/main.ts'],
    cwd: projectRoot,
    env,
    // The payment worker lets in-flight gateway calls finish for up to 30 s.
    stopGraceMs: 45_000,
  });
  supervisor.start({
    name: 'api',
    command: tsx,
    args: ['api/server.ts'],
    cwd: projectRoot,
    env,
    stopGraceMs: 10_000,
  });

  const apiUrl = `http://127.0.0.1:${config.port}`;
  await supervisor.watch(
    Promise.all([
      waitForReadyz(`${apiUrl}/readyz`, 90_000),
      connection &&
        waitForWorkerPolling(connection, {
          namespace: config.temporal.namespace,
          taskQueue: config.temporal.taskQueue,
          activityTaskQueue: config.temporal.paymentTaskQueue,
          since: workerStartedAt,
          timeoutMs: 120_000,
        }),
    ]),
  );
  await connection?.close();
  const prometheusUrl = await startPrometheus(config, startTemporal);

  const tokenPrefix = given.AUTH_JWT_SECRET ? 'AUTH_JWT_SECRET=<the same secret> ' : '';
  const tokenLines = config.auth.jwksUrl
    ? ['  A token:       from your identity provider (AUTH_JWKS_URL is set)']
    : [
        `  A token:       export TOKEN=$(${tokenPrefix}npm run -s token -- alice buyer)`,
        `                 curl -H "Authorization: Bearer $TOKEN" ${apiUrl}/v1/events`,
      ];
  const lines = [
    '',
    'Boxoffice is running. Ctrl-C stops everything.',
    `  API            ${apiUrl}   (ready: ${apiUrl}/readyz)`,
    `  API docs       ${apiUrl}/docs   (OpenAPI: ${apiUrl}/openapi.json)`,
    `  Web pages      ${apiUrl}/   (the demo event: ${apiUrl}/events/${demoEvent().id}; sign in: ${apiUrl}/sign-in)`,
    realTemporal
      ? '  Temporal UI    none with DEV_TEMPORAL=server (the dev server has it): use `temporal workflow list`'
      : startTemporal
        ? `  Temporal UI    http://127.0.0.1:${uiPort}/namespaces/${config.temporal.namespace}/workflows`
        : `  Temporal UI    (not started: using the Temporal at ${config.temporal.address})`,
    `  Temporal       ${config.temporal.address}   namespace ${config.temporal.namespace}, task queues ${config.temporal.taskQueue} + ${config.temporal.paymentTaskQueue}`,
    ...(startStripeMock
      ? [
          `  Stripe         ${stripeFixture?.url}   (fault fixture in front of stripe-mock on :${stripeMockPort}; webhooks to /v1/webhooks/stripe)`,
          `                 fault cards: ${Object.keys(builtInFaults).join(', ')}; more: POST ${stripeFixture?.url}/__fixture/faults`,
        ]
      : [`  Stripe         ${config.stripe.apiUrl ?? 'https://api.stripe.com'}`]),
    ...(realTemporal
      ? [
          `  Temporal data  Postgres databases ${temporalServerDatabase} and ${visibilityDatabase(temporalServerDatabase)} (drop them to start afresh)`,
          `                 the server's config and log: ${relative(projectRoot, temporalServerDir)}/`,
        ]
      : startTemporal
        ? [`  Temporal data  ${relative(projectRoot, temporalDbFile)} (delete it to start afresh)`]
        : []),
    `  Metrics        ${apiUrl}/metrics (API) · http://127.0.0.1:${config.workerMetricsPort}/metrics (worker, with the Temporal SDK's)`,
    ...(startTemporal
      ? [`                 http://127.0.0.1:${temporalMetricsPort}/metrics (Temporal server)`]
      : []),
    prometheusUrl
      ? `  Prometheus     ${prometheusUrl}   (alerts: ${prometheusUrl}/alerts; config ${relative(projectRoot, prometheusDir)}/prometheus.yml)`
      : '  Prometheus     not running: sudo apt-get install prometheus, then start npm run dev again',
    `  Demo event     curl ${apiUrl}/v1/events/${demoEvent().id}`,
    '',
    ...tokenLines,
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);

  // Runs until a signal stops everything, or a child dies on its own.
  await supervisor.watch(new Promise<never>(() => {}));
}

main().catch((error: unknown) => {
  if (shutdown) return; // already stopping on a signal; whatever failed was interrupted
  if (error instanceof ChildExitedError) {
    void stopEverything(1, `${error.processName} ${describeExit(error.exit)}; stopping the rest`);
    return;
  }
  const expected = [DevError, PreflightError, TemporalPostgresError, ToolNotFoundError].some(
    (kind) => error instanceof kind,
  );
  for (const line of (expected ? (error as Error).message : String((error as Error).stack ?? error)).split(
    '\n',
  )) {
    process.stderr.write(`npm run dev: ${line}\n`);
  }
  void stopEverything(1, 'stopping what was started');
});
