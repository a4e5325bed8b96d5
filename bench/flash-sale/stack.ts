// Owns the stacks a flash-sale run starts for itself: its database, Temporal (the dev server, or the real
// server on Postgres with --temporal server), stripe-mock
// behind the payment fixture, and for each observability setting of the run (off, on, or both) a worker and
// an API as separate processes, with the clients that reach them and the CPU sampler over them all; with
// observability on, the receiver of their spans and the scraper of their metrics. stop() takes it all down
// again, in reverse.
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
import { describeTemporalPostgres, startTemporalPostgres } from '../../scripts/lib/temporal-postgres';
import { startTemporalServer, temporalDynamicConfig } from '../../scripts/lib/temporal-server';
import { searchAttributeKeys } from '../../workflows/search-attributes';
import { type Claimed, type CpuSample, childNamed, sampleCpu } from '../lib/cpu';
import { createHttpClient, type HttpClient, sleep } from '../lib/load';
import type { probeWorkflow } from '../probe/workflow';
import {
  type Observability,
  type Observer,
  observabilityEnv,
  stacksOf,
  startObserver,
} from './observability';
import type { Params } from './options';

/** What starting a stack reads of a run's params; each benchmark's own params add to it. */
export type StackParams = Pick<
  Params,
  | 'seats'
  | 'concurrency'
  | 'paymentRate'
  | 'logLevel'
  | 'observability'
  | 'workerOptions'
  | 'sqlitePragmas'
  | 'dynamicConfig'
  | 'temporal'
  | 'temporalGomaxprocs'
  | 'processes'
>;

/** Which Temporal a run starts: the CLI's dev server (in memory, or a SQLite file), or the real one. */
export type TemporalChoice = { kind: 'dev'; persist: boolean } | { kind: 'server'; shards: number };

/** The run's `temporal` param: what ran, as the report names it. */
export function describeTemporal(choice: TemporalChoice): string {
  if (choice.kind === 'server') return describeTemporalPostgres(choice.shards);
  return `dev server (${choice.persist ? 'sqlite file (--db-filename)' : 'in memory'})`;
}

export interface StackOptions<P extends StackParams = Params> {
  params: P;
  temporal: TemporalChoice;
  profile?: string;
}

const databaseUrl =
  process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/boxoffice_bench_flash';
const redisUrl = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/14';
/** The real server's databases (`<name>` and `<name>_visibility`), reset by every run that uses them. */
const temporalDatabase = process.env.BENCH_TEMPORAL_DB ?? 'temporal_bench';
const tsx = join(projectRoot, 'node_modules', '.bin', 'tsx');

export const log = (line: string) => process.stderr.write(`[flash-sale] ${line}\n`);

type Cleanup = () => Promise<unknown> | unknown;

/** One stack of the run: its own API and worker, on the Temporal server, gateway and database of them all. */
export interface Stack<P extends StackParams = Params> {
  /** The run's id and this stack's observability: workflow ids, buyers and events never meet the other's. */
  run: string;
  params: P;
  observability: Observability;
  /** With observability on: scrapes this stack's metrics while a phase runs and counts its spans. */
  observer?: Observer;
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
  /** The process id of each component, for its profile. */
  pids: Record<string, number | undefined>;
  /** One probe workflow (start, one no-op activity, complete), run to its end. */
  probeOnce(workflowId: string): Promise<string>;
  /** Something stop() undoes, before what was started earlier. */
  onStop(cleanup: Cleanup): void;
}

export type NonEmpty<T> = [T, ...T[]];

export interface Stacks<P extends StackParams = Params> {
  /** One per observability setting of the run, off before on. */
  stacks: NonEmpty<Stack<P>>;
  stop(): Promise<void>;
}

/**
 * Runs one step of the sale for each stack in turn, adding what it returns to that stack's record; the
 * next step starts after the last stack's, so every stack meets the machine as it is during that step.
 */
export async function inTurn<S extends object, T extends object>(
  sales: NonEmpty<S>,
  step: (sale: S) => Promise<T>,
): Promise<NonEmpty<S & T>> {
  const [first, ...rest] = sales;
  const done: NonEmpty<S & T> = [{ ...first, ...(await step(first)) }];
  for (const sale of rest) done.push({ ...sale, ...(await step(sale)) });
  return done;
}

/** Starts everything and waits until each worker runs a probe and each API answers /healthz. */
export async function startStacks<P extends StackParams>(
  options: StackOptions<P>,
  run: string,
): Promise<Stacks<P>> {
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
    const persist = options.temporal.kind === 'dev' && options.temporal.persist;
    const dbDir = persist ? mkdtempSync(join(tmpdir(), 'boxoffice-bench-')) : undefined;
    if (dbDir) cleanups.push(() => rmSync(dbDir, { recursive: true, force: true }));
    log(`starting Temporal (${params.temporal}), stripe-mock and the payment fixture`);
    // Temporal and stripe-mock inherit this process's environment (Node ignores GOMAXPROCS).
    if (params.temporalGomaxprocs) process.env.GOMAXPROCS = params.temporalGomaxprocs;
    const [temporal, stripeMock] = await Promise.all([
      startTemporal(options, supervisor, dbDir && join(dbDir, 'temporal.db')),
      startStripeMock({ log }),
    ]);
    cleanups.push(
      () => temporal.teardown(),
      () => stripeMock.stop(),
    );
    const fixture = await startStripeFixture({ upstreamUrl: stripeMock.url });
    cleanups.push(() => fixture.stop());
    const connection = await Connection.connect({ address: temporal.address });
    cleanups.push(() => connection.close());
    const pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
    cleanups.push(() => pool.end());
    const settings = stacksOf(params.observability);
    const observer = settings.includes('on') ? await startObserver() : undefined;
    if (observer) cleanups.push(() => observer.close());
    const shared: Shared<P> = {
      run,
      options,
      supervisor,
      client: new Client({ connection }),
      pool,
      fixture,
      temporalAddress: temporal.address,
      temporalPid: temporal.pid,
      temporalClaims: options.temporal.kind === 'server' ? [temporalBackends] : [],
      stripeMockPid: childNamed('stripe-mock'),
      onStop: (cleanup) => cleanups.push(cleanup),
    };
    const stacks = (await Promise.all(
      settings.map((observability) =>
        startStack(shared, observability, observability === 'on' ? observer : undefined),
      ),
    )) as NonEmpty<Stack<P>>;
    return { stacks, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** What every stack of a run shares: the Temporal server, the gateway, the database, the supervisor. */
interface Shared<P extends StackParams>
  extends Pick<Stack<P>, 'supervisor' | 'client' | 'pool' | 'fixture' | 'onStop'> {
  run: string;
  options: StackOptions<P>;
  temporalAddress: string;
  temporalPid: number | undefined;
  /** The real server's Postgres backends: its persistence, which the dev server does in its own process. */
  temporalClaims: Claimed[];
  stripeMockPid: number | undefined;
}

/** Postgres backends connected (over TCP) to the real server's two databases. */
const temporalBackends: Claimed = {
  name: 'temporal postgres',
  comm: 'postgres',
  title: new RegExp(` ${temporalDatabase}(_visibility)? \\S+\\(\\d+\\)`),
};

const jwtSecret = 'bench-flash-sale-secret-0123456789';

/** One stack's worker and API, with metrics and traces off or on; ready once the worker runs a probe. */
async function startStack<P extends StackParams>(
  shared: Shared<P>,
  observability: Observability,
  observer: Observer | undefined,
): Promise<Stack<P>> {
  const { options, supervisor, client } = shared;
  const { params } = options;
  const run = `${shared.run}-${observability}`;
  const taskQueue = `bench-flash-${run}`;
  const [workerMetricsPort, ...apiPorts] = await Promise.all([
    freePort(),
    ...Array.from({ length: params.processes }, () => freePort()),
  ]);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    TEMPORAL_ADDRESS: shared.temporalAddress,
    TEMPORAL_TASK_QUEUE: taskQueue,
    TEMPORAL_PAYMENT_TASK_QUEUE: `${taskQueue}-payments`,
    AUTH_JWT_SECRET: jwtSecret,
    STRIPE_SECRET_KEY: 'sk_test_bench',
    STRIPE_API_URL: shared.fixture.url,
    PAYMENT_RATE_LIMIT_PER_SECOND: String(params.paymentRate),
    LOG_LEVEL: params.logLevel,
    ...observabilityEnv(observability, observer && { otlpUrl: observer.otlpUrl, workerMetricsPort }),
  };
  // With --processes N, N of each: the workers share the task queues, the APIs Redis and Postgres.
  const roots: Record<string, number | undefined> = { temporal: shared.temporalPid };
  const clients: HttpClient[] = [];
  apiPorts.forEach((port, index) => {
    // The first of each keeps its plain name; the others are numbered from 2.
    const number = index === 0 ? '' : String(index + 1);
    // The bench's own worker: the production setup plus the probe workflow and activity.
    const worker = supervisor.start({
      name: `worker-${observability}${number && `-${number}`}`,
      ...entryPoint('bench/lib/worker.ts', options.profile),
      env: { ...env, BENCH_WORKER_OPTIONS: JSON.stringify(params.workerOptions) },
      cwd: projectRoot,
      stopGraceMs: 15_000,
    });
    const api = supervisor.start({
      name: `api-${observability}${number && `-${number}`}`,
      ...entryPoint('api/server.ts', options.profile),
      env: { ...env, PORT: String(port) },
      cwd: projectRoot,
      stopGraceMs: 10_000,
    });
    roots[`worker${number && ` ${number}`}`] = worker.pid;
    roots[`api${number && ` ${number}`}`] = api.pid;
    clients.push(createHttpClient(`http://127.0.0.1:${port}`, params.concurrency + params.seats + 16));
  });
  roots['stripe-mock'] = shared.stripeMockPid;
  observer?.scrape({
    api: `http://127.0.0.1:${apiPorts[0]}/metrics`,
    worker: `http://127.0.0.1:${workerMetricsPort}/metrics`,
  });
  const http = inTurns(clients);
  shared.onStop(() => http.close());

  const probeOnce = (id: string) =>
    client.workflow.execute<typeof probeWorkflow>('probeWorkflow', {
      taskQueue,
      workflowId: id,
      args: ['ping'],
    });
  log(`waiting for the worker (first probe workflow) and the API (/healthz), observability ${observability}`);
  await supervisor.watch(
    Promise.all([
      waitFor('worker', 120_000, () => probeOnce(`probe-${run}-ready-${randomUUID()}`)),
      ...clients.map((api) =>
        waitFor('API', 120_000, async () =>
          (await api.call('GET', '/healthz')).status === 200 ? true : undefined,
        ),
      ),
    ]),
  );
  return {
    run,
    params,
    observability,
    observer,
    jwtSecret,
    supervisor,
    client,
    http,
    pool: shared.pool,
    fixture: shared.fixture,
    cpu: () => sampleCpu(roots, ['postgres', 'redis-server'], shared.temporalClaims),
    pids: roots,
    probeOnce,
    onStop: shared.onStop,
  };
}

/** The Temporal a run's stacks share: where it answers, its process (for the CPU it takes), its stop. */
interface Temporal {
  address: string;
  pid: number | undefined;
  teardown(): Promise<void>;
}

/** The real server on the run's Postgres, or the dev server; each with this run's dynamic config. */
async function startTemporal<P extends StackParams>(
  options: StackOptions<P>,
  supervisor: Supervisor,
  dbFilename: string | undefined,
): Promise<Temporal> {
  const { params } = options;
  if (options.temporal.kind === 'server') {
    return startTemporalPostgres({
      supervisor,
      log,
      postgresUrl: databaseUrl,
      databasePrefix: temporalDatabase,
      shards: options.temporal.shards,
      dynamicConfig: params.dynamicConfig,
    });
  }
  const env = await startDevServer(params, dbFilename);
  // The CLI is this process's child (the SDK starts it), named after its executable.
  return { address: env.address, pid: childNamed('temporal'), teardown: () => env.teardown() };
}

/** One client over several APIs: each call goes to the next one in turn. */
function inTurns(clients: HttpClient[]): HttpClient {
  let next = 0;
  return {
    call(method, path, options) {
      const client = clients[next % clients.length] as HttpClient;
      next += 1;
      return client.call(method, path, options);
    },
    close() {
      for (const client of clients) client.close();
    },
  };
}

/** The shared dev-server setup, plus this run's pragmas and dynamic config when asked for. */
async function startDevServer(
  params: StackParams,
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
