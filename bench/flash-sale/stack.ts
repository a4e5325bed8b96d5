// Owns the stack a flash-sale run starts for itself: its database, the Temporal dev server, stripe-mock
// behind the payment fixture, the worker and the API as separate processes, the clients that reach them
// and the CPU sampler over all of them; stop() takes it all down again, in reverse.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import pg from 'pg';
import { migrate } from '../../db/migrate';
import { projectRoot, resolveTool, temporalCli } from '../../scripts/lib/binaries';
import { freePort } from '../../scripts/lib/ports';
import { checkPostgres, checkRedis, ensureDatabase } from '../../scripts/lib/preflight';
import { Supervisor } from '../../scripts/lib/processes';
import { type StripeFixture, startStripeFixture } from '../../scripts/lib/stripe-fixture';
import { startStripeMock } from '../../scripts/lib/stripe-mock';
import { startTemporalServer, temporalDynamicConfig } from '../../scripts/lib/temporal-server';
import { searchAttributeKeys } from '../../workflows/search-attributes';
import { type CpuSample, childNamed, sampleCpu } from '../lib/cpu';
import { createHttpClient, type HttpClient, sleep } from '../lib/load';
import type { probeWorkflow } from '../probe/workflow';
import type { Options, Params } from './options';

const databaseUrl =
  process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/boxoffice_bench_flash';
const redisUrl = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/14';
const tsx = join(projectRoot, 'node_modules', '.bin', 'tsx');

export const log = (line: string) => process.stderr.write(`[flash-sale] ${line}\n`);

type Cleanup = () => Promise<unknown> | unknown;

export interface Stack {
  run: string;
  params: Params;
  jwtSecret: string;
  supervisor: Supervisor;
  client: Client;
  /** The API, with room for every hold and confirm in flight. */
  http: HttpClient;
  /** The run's database, for the invariants. */
  pool: pg.Pool;
  fixture: StripeFixture;
  /** CPU seconds so far of the bench, Temporal, the worker, the API, stripe-mock, postgres and redis. */
  cpu(): CpuSample;
  /** One probe workflow (start, one no-op activity, complete), run to its end. */
  probeOnce(workflowId: string): Promise<string>;
  /** Something stop() undoes, before what was started earlier. */
  onStop(cleanup: Cleanup): void;
  stop(): Promise<void>;
}

/** Starts everything and waits until the worker runs a probe and the API answers /healthz. */
export async function startStack(options: Options, run: string): Promise<Stack> {
  const { params } = options;
  await checkPostgres(databaseUrl);
  await checkRedis(redisUrl);
  await ensureDatabase(databaseUrl);
  await migrate(databaseUrl);

  const cleanups: Cleanup[] = [];
  const supervisor = new Supervisor({
    write: (text) => process.stderr.write(text),
    onUnexpectedExit: (name, exit) => log(`${name} exited unexpectedly (${JSON.stringify(exit)})`),
  });
  const stopNow = () => {
    supervisor.killAllNow();
    process.exit(130);
  };
  process.once('SIGINT', stopNow);
  process.once('SIGTERM', stopNow);
  cleanups.push(() => supervisor.stopAll());
  const stop = async () => {
    process.off('SIGINT', stopNow);
    process.off('SIGTERM', stopNow);
    for (const cleanup of cleanups.reverse()) {
      await Promise.resolve()
        .then(cleanup)
        .catch((error: unknown) => log(`cleanup: ${String(error)}`));
    }
  };

  try {
    const dbDir = options.persist ? mkdtempSync(join(tmpdir(), 'boxoffice-bench-')) : undefined;
    if (dbDir) cleanups.push(() => rmSync(dbDir, { recursive: true, force: true }));
    log(`starting Temporal (${params.persistence}), stripe-mock and the payment fixture`);
    // The dev server and stripe-mock inherit this process's environment (Node ignores GOMAXPROCS).
    if (params.temporalGomaxprocs) process.env.GOMAXPROCS = params.temporalGomaxprocs;
    const [temporal, stripeMock] = await Promise.all([
      startTemporal(params, dbDir && join(dbDir, 'temporal.db')),
      startStripeMock({ log }),
    ]);
    cleanups.push(
      () => temporal.teardown(),
      () => stripeMock.stop(),
    );
    const fixture = await startStripeFixture({ upstreamUrl: stripeMock.url });
    cleanups.push(() => fixture.stop());
    const temporalPid = childNamed('temporal');
    const stripeMockPid = childNamed('stripe-mock');

    const jwtSecret = 'bench-flash-sale-secret-0123456789';
    const taskQueue = `bench-flash-${run}`;
    const apiPort = await freePort();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DATABASE_URL: databaseUrl,
      REDIS_URL: redisUrl,
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_TASK_QUEUE: taskQueue,
      TEMPORAL_PAYMENT_TASK_QUEUE: `${taskQueue}-payments`,
      AUTH_JWT_SECRET: jwtSecret,
      STRIPE_SECRET_KEY: 'sk_test_bench',
      STRIPE_API_URL: fixture.url,
      PAYMENT_RATE_LIMIT_PER_SECOND: String(params.paymentRate),
      PORT: String(apiPort),
      LOG_LEVEL: params.logLevel,
    };
    // The bench's own worker: the production setup plus the probe workflow and activity.
    const worker = supervisor.start({
      name: 'worker',
      ...entryPoint('bench/lib/worker.ts', options.profile),
      env: { ...env, BENCH_WORKER_OPTIONS: JSON.stringify(params.workerOptions) },
      cwd: projectRoot,
      stopGraceMs: 15_000,
    });
    const api = supervisor.start({
      name: 'api',
      ...entryPoint('api/server.ts', options.profile),
      env,
      cwd: projectRoot,
      stopGraceMs: 10_000,
    });
    const roots = { temporal: temporalPid, worker: worker.pid, api: api.pid, 'stripe-mock': stripeMockPid };
    const shared = ['postgres', 'redis-server'];

    const connection = await Connection.connect({ address: temporal.address });
    cleanups.push(() => connection.close());
    const client = new Client({ connection });
    const http = createHttpClient(`http://127.0.0.1:${apiPort}`, params.concurrency + params.seats + 16);
    cleanups.push(() => http.close());
    const pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
    cleanups.push(() => pool.end());

    const probeOnce = (id: string) =>
      client.workflow.execute<typeof probeWorkflow>('probeWorkflow', {
        taskQueue,
        workflowId: id,
        args: ['ping'],
      });
    log('waiting for the worker (first probe workflow) and the API (/healthz)');
    await supervisor.watch(
      Promise.all([
        waitFor('worker', 120_000, () => probeOnce(`probe-${run}-ready-${randomUUID()}`)),
        waitFor('API', 120_000, async () =>
          (await http.call('GET', '/healthz')).status === 200 ? true : undefined,
        ),
      ]),
    );
    return {
      run,
      params,
      jwtSecret,
      supervisor,
      client,
      http,
      pool,
      fixture,
      cpu: () => sampleCpu(roots, shared),
      probeOnce,
      onStop: (cleanup) => cleanups.push(cleanup),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The shared dev-server setup, plus this run's pragmas and dynamic config when asked for. */
async function startTemporal(
  params: Params,
  dbFilename: string | undefined,
): Promise<TestWorkflowEnvironment> {
  if (params.sqlitePragmas.length === 0 && params.dynamicConfig.length === 0) {
    return startTemporalServer({ dbFilename, log });
  }
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: resolveTool(temporalCli, log) },
      ip: '127.0.0.1',
      dbFilename,
      searchAttributes: searchAttributeKeys,
      extraArgs: [
        ...[...temporalDynamicConfig, ...params.dynamicConfig].flatMap((s) => ['--dynamic-config-value', s]),
        ...params.sqlitePragmas.flatMap((pragma) => ['--sqlite-pragma', pragma]),
      ],
      log: { format: 'json', level: 'warn' },
    },
  });
}

/** How a TypeScript entry point is run: through tsx, or node with tsx's loader when profiling. */
function entryPoint(path: string, profileDir: string | undefined): { command: string; args: string[] } {
  const entry = join(projectRoot, path);
  if (!profileDir) return { command: tsx, args: [entry] };
  return {
    command: process.execPath,
    args: ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, '--import', 'tsx', entry],
  };
}

/** Tries `attempt` every 250 ms until it answers something; fails with its last error after the timeout. */
export async function waitFor<T>(
  what: string,
  timeoutMs: number,
  attempt: () => Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await attempt();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    await sleep(250);
  }
  throw new Error(
    `${what} not ready within ${timeoutMs / 1000} s${lastError ? `: ${String(lastError)}` : ''}`,
  );
}
