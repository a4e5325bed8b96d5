// Owns `npm run bench:flash-sale`: a flash sale through the whole stack, started by the benchmark itself.
// HTTP load -> the API (its own process) -> Temporal dev server -> the worker (its own process) ->
// Postgres, Redis and stripe-mock behind the payment fixture. Phases, all on one Temporal server:
//   1. probe    the floor: minimal workflows (start + one no-op activity + complete), closed loop.
//   2. rush     --buyers race for --seats (each seat wanted by buyers/seats of them, in shuffled order),
//               at most --concurrency holds in flight; every winner confirms at once. Payments are
//               capped by the payment queue's server-side rate limit (--payment-rate), by design.
//   3. steady   checkouts arriving at a fixed rate below what the rush sustained (open loop): the
//               latency a buyer sees at the sustained rate.
//   4. rejects  holds for seats already sold, answered from the seat map without a workflow.
//   5. bare     the same requests against a do-nothing node:http server: this machine's HTTP ceiling.
// CPU time of every component is sampled per phase (/proc), so the report says where the time went.
// Then it checks the invariants in Postgres, the payment fixture and Temporal: sold == seats, nothing
// oversold, one charge per order, no workflow started for a fast rejection.
//
// Flags: --seats 200 --buyers 1000 --concurrency 50 --payment-rate 20 --probes 500
//        --steady-seconds 15 [--steady-rate N] --rejects 20000 --reject-concurrency 64
//        [--persist] [--sqlite-pragma journal_mode=wal ...] [--dynamic-config KEY=JSON ...]
//        [--worker-options '{"maxCachedWorkflows":2000}'] [--temporal-gomaxprocs 1] --log-level warn
//        [--profile DIR] --out flash-sale
// --profile writes V8 CPU profiles of the API and the worker (node --cpu-prof) into DIR when they stop.
// Env: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/boxoffice_bench_flash),
//      BENCH_REDIS_URL (default redis://127.0.0.1:6379/14).
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import pg from 'pg';
import { mintToken } from '../api/auth';
import { migrate } from '../db/migrate';
import { projectRoot, resolveTool, temporalCli } from '../scripts/lib/binaries';
import { freePort } from '../scripts/lib/ports';
import { checkPostgres, checkRedis, ensureDatabase } from '../scripts/lib/preflight';
import { Supervisor, waitForLine } from '../scripts/lib/processes';
import { startStripeFixture } from '../scripts/lib/stripe-fixture';
import { startStripeMock } from '../scripts/lib/stripe-mock';
import { startTemporalServer, temporalDynamicConfig } from '../scripts/lib/temporal-server';
import { searchAttributeKeys } from '../workflows/search-attributes';
import { type CpuSample, childNamed, cpuSpent, sampleCpu } from './lib/cpu';
import { closedLoop, createHttpClient, type HttpAnswer, type HttpClient, openLoop, sleep } from './lib/load';
import { gitCommit, latency, machineLoad, markdownTable, perSecond, writeResults } from './lib/stats';

const usage = `usage: npm run bench:flash-sale -- [--seats 200] [--buyers 1000] [--concurrency 50]
  [--payment-rate 20] [--probes 500] [--steady-seconds 15] [--steady-rate N] [--rejects 20000]
  [--reject-concurrency 64] [--persist] [--sqlite-pragma KEY=VALUE]... [--dynamic-config KEY=JSON]...
  [--worker-options JSON] [--temporal-gomaxprocs N] [--log-level warn] [--profile DIR] [--out flash-sale]`;

const { values: flags } = parseArgs({
  options: {
    seats: { type: 'string', default: '200' },
    buyers: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '50' },
    'payment-rate': { type: 'string', default: '20' },
    probes: { type: 'string', default: '500' },
    'steady-seconds': { type: 'string', default: '15' },
    'steady-rate': { type: 'string' },
    rejects: { type: 'string', default: '20000' },
    'reject-concurrency': { type: 'string', default: '64' },
    persist: { type: 'boolean', default: false },
    'sqlite-pragma': { type: 'string', multiple: true, default: [] },
    'dynamic-config': { type: 'string', multiple: true, default: [] },
    'worker-options': { type: 'string' },
    'temporal-gomaxprocs': { type: 'string' },
    'log-level': { type: 'string', default: 'warn' },
    profile: { type: 'string' },
    out: { type: 'string', default: 'flash-sale' },
    help: { type: 'boolean', default: false },
  },
});
if (flags.help) {
  process.stdout.write(`${usage}\n`);
  process.exit(0);
}

function positive(name: string, value: string | undefined): number {
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0) {
    process.stderr.write(`--${name} must be a positive number, got ${value}\n${usage}\n`);
    process.exit(2);
  }
  return number;
}

const params = {
  seats: Math.floor(positive('seats', flags.seats)),
  buyers: Math.floor(positive('buyers', flags.buyers)),
  concurrency: Math.floor(positive('concurrency', flags.concurrency)),
  paymentRate: positive('payment-rate', flags['payment-rate']),
  probes: Math.floor(positive('probes', flags.probes)),
  steadySeconds: positive('steady-seconds', flags['steady-seconds']),
  steadyRate: flags['steady-rate'] === undefined ? undefined : positive('steady-rate', flags['steady-rate']),
  rejects: Math.floor(positive('rejects', flags.rejects)),
  rejectConcurrency: Math.floor(positive('reject-concurrency', flags['reject-concurrency'])),
  persistence: flags.persist ? 'sqlite file (--db-filename)' : 'in memory',
  sqlitePragmas: flags['sqlite-pragma'],
  dynamicConfig: flags['dynamic-config'],
  workerOptions: flags['worker-options']
    ? (JSON.parse(flags['worker-options']) as Record<string, unknown>)
    : {},
  /** Go's GOMAXPROCS for the dev server (and stripe-mock); unset: one per CPU. */
  temporalGomaxprocs: flags['temporal-gomaxprocs'],
  logLevel: flags['log-level'],
  worker: 'separate process (tsx workers/main.ts)',
  api: 'separate process (tsx api/server.ts, @hono/node-server)',
};
if (Object.keys(params.workerOptions).length > 0)
  params.worker = 'separate process (tsx bench/lib/worker.ts)';

const databaseUrl =
  process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/boxoffice_bench_flash';
const redisUrl = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/14';
const jwtSecret = 'bench-flash-sale-secret-0123456789';
const run = randomUUID().slice(0, 8);
const log = (line: string) => process.stderr.write(`[flash-sale] ${line}\n`);
const tsx = join(projectRoot, 'node_modules', '.bin', 'tsx');

/** How a TypeScript entry point is run: through tsx, or node with tsx's loader when profiling. */
function entryPoint(path: string): { command: string; args: string[] } {
  const entry = join(projectRoot, path);
  if (!flags.profile) return { command: tsx, args: [entry] };
  return {
    command: process.execPath,
    args: ['--cpu-prof', `--cpu-prof-dir=${flags.profile}`, '--import', 'tsx', entry],
  };
}

/** A do-nothing HTTP server that reads the body and answers a problem+json 409: the floor for rejects. */
const bareHttpServer = `
const http = require('node:http');
const body = JSON.stringify({ type: 'about:blank', title: 'Conflict', status: 409, code: 'SEATS_UNAVAILABLE' });
const server = http.createServer((req, res) => {
  req.on('data', () => {});
  req.on('end', () => {
    res.writeHead(409, { 'content-type': 'application/problem+json' });
    res.end(body);
  });
});
server.listen(0, '127.0.0.1', () => console.log('listening ' + server.address().port));
`;

// ---- Stack ---------------------------------------------------------------------------------------

/** The shared dev-server setup, plus this run's pragmas and dynamic config when asked for. */
async function startTemporal(dbFilename: string | undefined): Promise<TestWorkflowEnvironment> {
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

async function waitFor<T>(
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

/** temporal.api.enums.v1.EventType values the history summary counts. */
const eventType = {
  workflowExecutionStarted: 1,
  workflowTaskStarted: 6,
  workflowTaskCompleted: 7,
  activityTaskScheduled: 10,
  timerStarted: 17,
  markerRecorded: 25,
  upsertWorkflowSearchAttributes: 40,
} as const;

// ---- Buyers --------------------------------------------------------------------------------------

interface Hold {
  status: number;
  code?: string;
  reservationId?: string;
  ms: number;
  tries: number;
  sentAt: number;
  answeredAt: number;
}

interface Confirm {
  status: number;
  finalStatus?: string;
  ms: number;
  tries: number;
  /** Payment attempts the buyer made: a 402 PAYMENT_FAILED (timed out, not charged) is tried again. */
  attempts: number;
  sentAt: number;
  answeredAt: number;
}

interface Checkout {
  hold: Hold;
  confirm?: Confirm;
}

/** A request that failed without an answer counts as status 0 (code: the network error), not a crash. */
async function attempt(http: HttpClient, ...args: Parameters<HttpClient['call']>): Promise<HttpAnswer> {
  const started = performance.now();
  try {
    return await http.call(...args);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    return { status: 0, body: { code }, ms: performance.now() - started };
  }
}

const bodyField = (answer: HttpAnswer, field: string): string | undefined => {
  const body = answer.body as Record<string, unknown> | undefined;
  const value = body?.[field];
  return typeof value === 'string' ? value : undefined;
};

/** One hold as a client makes it: 202 (wait budget spent) and 503 (overloaded) retry with the same key. */
async function hold(http: HttpClient, token: string, eventId: string, seatId: string, key: string) {
  const sentAt = performance.now();
  let answer: HttpAnswer | undefined;
  let tries = 0;
  while (tries < 30 && (answer === undefined || answer.status === 202 || answer.status === 503)) {
    if (answer?.status === 503) await sleep(100);
    tries++;
    answer = await attempt(http, 'POST', `/v1/events/${eventId}/reservations`, {
      token,
      body: { seatIds: [seatId] },
      headers: { 'idempotency-key': key },
    });
  }
  const final = answer as HttpAnswer;
  const answeredAt = performance.now();
  return {
    status: final.status,
    code: bodyField(final, 'code'),
    reservationId: final.status === 201 ? bodyField(final, 'id') : undefined,
    ms: answeredAt - sentAt,
    tries,
    sentAt,
    answeredAt,
  } satisfies Hold;
}

/**
 * A buyer paying: a 202 (payment still queued) is re-sent with the same key, which joins the first
 * update; a 402 PAYMENT_FAILED ("not charged, try again") is a new attempt with a new key, as the
 * reservation allows (MAX_PAYMENT_ATTEMPTS, 3 by default).
 */
async function confirm(http: HttpClient, token: string, reservationId: string, key: string) {
  const sentAt = performance.now();
  let answer: HttpAnswer | undefined;
  let tries = 0;
  let attempts = 0;
  const retryable = (a: HttpAnswer | undefined) =>
    a === undefined || a.status === 202 || a.status === 503 || bodyField(a, 'code') === 'PAYMENT_FAILED';
  while (tries < 60 && attempts <= 3 && retryable(answer)) {
    if (answer?.status === 503) await sleep(100);
    if (answer === undefined || answer.status === 402) attempts++;
    if (attempts > 3) break;
    tries++;
    answer = await attempt(http, 'POST', `/v1/reservations/${reservationId}/confirm`, {
      token,
      body: { paymentMethodId: 'pm_card_visa' },
      headers: { 'idempotency-key': `${key}:${attempts}` },
    });
  }
  const final = answer as HttpAnswer;
  const answeredAt = performance.now();
  return {
    status: final.status,
    finalStatus: bodyField(final, 'status') ?? bodyField(final, 'code'),
    ms: answeredAt - sentAt,
    tries,
    attempts,
    sentAt,
    answeredAt,
  } satisfies Confirm;
}

async function checkout(http: HttpClient, token: string, eventId: string, seatId: string, key: string) {
  const held = await hold(http, token, eventId, seatId, `${key}:hold`);
  if (held.status !== 201 || !held.reservationId) return { hold: held } satisfies Checkout;
  return {
    hold: held,
    confirm: await confirm(http, token, held.reservationId, `${key}:confirm`),
  } satisfies Checkout;
}

/** A deterministic shuffle (mulberry32), so runs with the same flags race the same way. */
function shuffled<T>(items: T[], seed: number): T[] {
  let state = seed >>> 0;
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}

const seatsPerRow = 50;
const seatIdsOf = (seats: number) =>
  Array.from({ length: seats }, (_, i) => `A-${Math.floor(i / seatsPerRow) + 1}-${(i % seatsPerRow) + 1}`);

async function createEvent(http: HttpClient, organizer: string, seats: number, name: string) {
  const rows = Array.from({ length: Math.ceil(seats / seatsPerRow) }, (_, i) => ({
    id: String(i + 1),
    seats: Math.min(seatsPerRow, seats - i * seatsPerRow),
  }));
  const created = await http.call('POST', '/v1/events', {
    token: organizer,
    body: {
      name,
      venue: 'Bench Arena',
      startsAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
      currency: 'EUR',
      holdSeconds: 600,
      maxSeatsPerBuyer: 4,
      sections: [{ id: 'A', name: 'Floor', price: 5000, rows }],
    },
  });
  if (created.status !== 201) throw new Error(`creating the event answered ${created.status}`);
  return bodyField(created, 'id') as string;
}

function statusCounts(statuses: (number | string | undefined)[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const status of statuses) counts[String(status)] = (counts[String(status)] ?? 0) + 1;
  return counts;
}

const window = (start: number[], end: number[]) =>
  start.length === 0 ? 0 : Math.max(...end) - Math.min(...start);

// ---- Main ----------------------------------------------------------------------------------------

async function main() {
  const loadAtStart = machineLoad();
  log(`run ${run}; load average ${loadAtStart.loadavg.join(' ')} on ${loadAtStart.cpus} cpus`);
  await checkPostgres(databaseUrl);
  await checkRedis(redisUrl);
  await ensureDatabase(databaseUrl);
  await migrate(databaseUrl);

  const cleanups: (() => Promise<unknown> | unknown)[] = [];
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

  try {
    const dbDir = flags.persist ? mkdtempSync(join(tmpdir(), 'boxoffice-bench-')) : undefined;
    if (dbDir) cleanups.push(() => rmSync(dbDir, { recursive: true, force: true }));
    log(`starting Temporal (${params.persistence}), stripe-mock and the payment fixture`);
    // The dev server and stripe-mock inherit this process's environment (Node ignores GOMAXPROCS).
    if (params.temporalGomaxprocs) process.env.GOMAXPROCS = params.temporalGomaxprocs;
    const [temporal, stripeMock] = await Promise.all([
      startTemporal(dbDir && join(dbDir, 'temporal.db')),
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
    const tuned = Object.keys(params.workerOptions).length > 0;
    const worker = supervisor.start({
      name: 'worker',
      ...entryPoint(tuned ? 'bench/lib/worker.ts' : 'workers/main.ts'),
      env: { ...env, BENCH_WORKER_OPTIONS: JSON.stringify(params.workerOptions) },
      cwd: projectRoot,
      stopGraceMs: 15_000,
    });
    const api = supervisor.start({
      name: 'api',
      ...entryPoint('api/server.ts'),
      env,
      cwd: projectRoot,
      stopGraceMs: 10_000,
    });
    const roots = { temporal: temporalPid, worker: worker.pid, api: api.pid, 'stripe-mock': stripeMockPid };
    const shared = ['postgres', 'redis-server'];
    const cpu = () => sampleCpu(roots, shared);

    const connection = await Connection.connect({ address: temporal.address });
    cleanups.push(() => connection.close());
    const client = new Client({ connection });
    const http = createHttpClient(`http://127.0.0.1:${apiPort}`, params.concurrency + params.seats + 16);
    cleanups.push(() => http.close());
    const pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
    cleanups.push(() => pool.end());

    log('waiting for the worker (first probe workflow) and the API (/healthz)');
    const probeOnce = (id: string) =>
      client.workflow.execute('probeWorkflow', { taskQueue, workflowId: id, args: ['ping'] });
    await supervisor.watch(
      Promise.all([
        waitFor('worker', 120_000, () => probeOnce(`probe-${run}-ready-${randomUUID()}`)),
        waitFor('API', 120_000, async () =>
          (await http.call('GET', '/healthz')).status === 200 ? true : undefined,
        ),
      ]),
    );

    // ---- 1. Probe: the floor of this server ----
    log(`probe: ${params.probes} minimal workflows, ${params.concurrency} in flight`);
    await closedLoop(Array.from({ length: 50 }), params.concurrency, (_, i) =>
      probeOnce(`probe-${run}-w${i}`),
    );
    const probeLoad = machineLoad();
    const probeCpu0 = cpu();
    const probeStart = performance.now();
    const probeMs = await supervisor.watch(
      closedLoop(Array.from({ length: params.probes }), params.concurrency, async (_, i) => {
        const started = performance.now();
        await probeOnce(`probe-${run}-${i}`);
        return performance.now() - started;
      }),
    );
    const probeWindow = performance.now() - probeStart;
    const probeCpu = cpuSpent(probeCpu0, cpu());
    const probe = {
      workflows: params.probes,
      perSecond: perSecond(params.probes, probeWindow),
      latencyMs: latency(probeMs),
      cpuSeconds: probeCpu,
      loadavgBefore: probeLoad.loadavg,
    };
    log(`probe: ${probe.perSecond} workflows/s, p99 ${probe.latencyMs.p99} ms`);

    // ---- 2. Rush: buyers race for the seats ----
    const organizer = await mintToken(jwtSecret, `bench-org-${run}`, 'organizer');
    const rushEvent = await createEvent(http, organizer, params.seats, `Flash sale ${run}`);
    const rushSeats = seatIdsOf(params.seats);
    const buyers = shuffled(
      await Promise.all(
        Array.from({ length: params.buyers }, async (_, i) => ({
          index: i,
          token: await mintToken(jwtSecret, `bench-${run}-${i}`, 'buyer'),
          seatId: rushSeats[i % params.seats] as string,
        })),
      ),
      0x5eed,
    );
    log(`rush: ${params.buyers} buyers for ${params.seats} seats, ${params.concurrency} holds in flight`);
    const rushLoad = machineLoad();
    const rushCpu0 = cpu();
    const confirms: Promise<Confirm>[] = [];
    const rushHolds = await supervisor.watch(
      closedLoop(buyers, params.concurrency, async (buyer) => {
        const held = await hold(http, buyer.token, rushEvent, buyer.seatId, `rush-${buyer.index}:hold`);
        // A winner pays at once, on their own: confirms don't hold up the next buyers' holds.
        if (held.status === 201 && held.reservationId) {
          confirms.push(confirm(http, buyer.token, held.reservationId, `rush-${buyer.index}:confirm`));
        }
        return held;
      }),
    );
    const rushConfirms = await supervisor.watch(Promise.all(confirms));
    const rushCpu = cpuSpent(rushCpu0, cpu());

    // What one workflow costs Temporal: history events and workflow tasks of a checkout and a probe.
    const historyOf = async (workflowId: string) => {
      const history = await client.workflow.getHandle(workflowId).fetchHistory();
      const events = history.events ?? [];
      const count = (type: number) => events.filter((event) => Number(event.eventType) === type).length;
      const at = (type: number) => {
        const time = events.find((event) => Number(event.eventType) === type)?.eventTime;
        return time ? Number(time.seconds ?? 0) * 1000 + (time.nanos ?? 0) / 1e6 : Number.NaN;
      };
      return {
        // The hold: from the start to the first workflow task's pickup, and the task itself (local activities).
        firstTaskWaitMs: Math.round(
          at(eventType.workflowTaskStarted) - at(eventType.workflowExecutionStarted),
        ),
        firstTaskRunMs: Math.round(at(eventType.workflowTaskCompleted) - at(eventType.workflowTaskStarted)),
        events: events.length,
        workflowTasks: count(eventType.workflowTaskCompleted),
        activities: count(eventType.activityTaskScheduled),
        localActivityMarkers: count(eventType.markerRecorded),
        searchAttributeUpserts: count(eventType.upsertWorkflowSearchAttributes),
        timers: count(eventType.timerStarted),
      };
    };
    const soldReservation = rushHolds.find((h) => h.status === 201)?.reservationId;
    const histories = {
      checkout: soldReservation ? await historyOf(soldReservation).catch(() => undefined) : undefined,
      probe: await historyOf(`probe-${run}-0`).catch(() => undefined),
    };

    // Fast rejections never reach Temporal: every workflow of this event is a hold that went through.
    const countWorkflows = async (eventId: string, extra = '') =>
      (await client.workflow.count(`EventId = "${eventId}"${extra}`)).count;
    const holdsAnswered = rushHolds.length;
    const winners = rushHolds.filter((h) => h.status === 201);
    const conflicts = rushHolds.filter((h) => h.status === 409);
    const [rushWorkflows, rejectedInWorkflow] = await waitFor<[number, number]>(
      'visibility',
      30_000,
      async () => {
        const total = await countWorkflows(rushEvent);
        const rejected = await countWorkflows(rushEvent, ' AND ReservationStatus = "REJECTED"');
        return total === winners.length + rejected ? [total, rejected] : undefined;
      },
    ).catch(async () => [
      await countWorkflows(rushEvent),
      await countWorkflows(rushEvent, ' AND ReservationStatus = "REJECTED"'),
    ]);
    const fastRejected = conflicts.length - rejectedInWorkflow;
    const confirmed = rushConfirms.filter((c) => c.status === 200 && c.finalStatus === 'CONFIRMED');
    const holdWindow = window(
      rushHolds.map((h) => h.sentAt),
      rushHolds.map((h) => h.answeredAt),
    );
    const confirmWindow = window(
      rushConfirms.map((c) => c.sentAt),
      rushConfirms.map((c) => c.answeredAt),
    );
    const rush = {
      eventId: rushEvent,
      holdsAnswered,
      holdStatuses: statusCounts(rushHolds.map((h) => (h.status === 409 ? `409 ${h.code}` : h.status))),
      holdRequestsPerSecond: perSecond(holdsAnswered, holdWindow),
      holdsGrantedPerSecond: perSecond(winners.length, holdWindow),
      holdLatencyMs: { all: latency(rushHolds.map((h) => h.ms)), granted: latency(winners.map((h) => h.ms)) },
      holdsRetriedAfter202: rushHolds.filter((h) => h.tries > 1).length,
      conflictRate: Math.round((conflicts.length / holdsAnswered) * 1000) / 1000,
      workflowsStarted: rushWorkflows,
      rejectedInWorkflow,
      fastRejected,
      fastRejectedShareOfConflicts: conflicts.length
        ? Math.round((fastRejected / conflicts.length) * 1000) / 1000
        : 0,
      fastRejectedShareOfRequests: Math.round((fastRejected / holdsAnswered) * 1000) / 1000,
      confirmStatuses: statusCounts(rushConfirms.map((c) => `${c.status} ${c.finalStatus}`)),
      confirmedPerSecond: perSecond(confirmed.length, confirmWindow),
      confirmLatencyMs: latency(rushConfirms.map((c) => c.ms)),
      confirmsRetriedAfter202: rushConfirms.filter((c) => c.tries > c.attempts).length,
      confirmsPaidAgainAfterTimeout: rushConfirms.filter((c) => c.attempts > 1).length,
      holdWindowMs: Math.round(holdWindow),
      confirmWindowMs: Math.round(confirmWindow),
      cpuSeconds: rushCpu,
      loadavgBefore: rushLoad.loadavg,
      histories,
    };
    log(
      `rush: ${rush.holdRequestsPerSecond} hold answers/s, ${rush.confirmedPerSecond} checkouts/s, ` +
        `hold p99 ${rush.holdLatencyMs.all.p99} ms, confirm p99 ${rush.confirmLatencyMs.p99} ms`,
    );

    // ---- 3. Steady: checkouts arriving below the rate the rush sustained ----
    const sustained = Math.min(params.paymentRate, rush.confirmedPerSecond || params.paymentRate);
    const steadyRate = params.steadyRate ?? Math.max(1, Math.round(sustained * 0.8 * 10) / 10);
    const steadyCount = Math.max(1, Math.round(steadyRate * params.steadySeconds));
    const steadyEvent = await createEvent(http, organizer, steadyCount, `Steady sale ${run}`);
    const steadySeats = seatIdsOf(steadyCount);
    const steadyBuyers = await Promise.all(
      steadySeats.map(async (seatId, i) => ({
        index: i,
        seatId,
        token: await mintToken(jwtSecret, `bench-steady-${run}-${i}`, 'buyer'),
      })),
    );
    log(`steady: ${steadyCount} checkouts arriving at ${steadyRate}/s (80% of the sustained ${sustained}/s)`);
    const steadyLoad = machineLoad();
    const steadyCpu0 = cpu();
    const steadyRun = await supervisor.watch(
      openLoop(steadyBuyers, steadyRate, 2000, (buyer) =>
        checkout(http, buyer.token, steadyEvent, buyer.seatId, `steady-${buyer.index}`),
      ),
    );
    const steadyCpu = cpuSpent(steadyCpu0, cpu());
    const steadyHolds = steadyRun.results.map((r) => r.hold);
    const steadyConfirms = steadyRun.results.flatMap((r) => (r.confirm ? [r.confirm] : []));
    const steadySample = steadyHolds[Math.floor(steadyHolds.length / 2)]?.reservationId;
    const steadyHistory = steadySample ? await historyOf(steadySample).catch(() => undefined) : undefined;
    const steady = {
      eventId: steadyEvent,
      offeredPerSecond: steadyRate,
      checkouts: steadyCount,
      lateArrivals: steadyRun.lateArrivals,
      holdStatuses: statusCounts(steadyHolds.map((h) => h.status)),
      holdLatencyMs: latency(steadyHolds.map((h) => h.ms)),
      confirmStatuses: statusCounts(steadyConfirms.map((c) => `${c.status} ${c.finalStatus}`)),
      confirmLatencyMs: latency(steadyConfirms.map((c) => c.ms)),
      confirmedPerSecond: perSecond(
        steadyConfirms.filter((c) => c.finalStatus === 'CONFIRMED').length,
        window(
          steadyHolds.map((h) => h.sentAt),
          steadyConfirms.map((c) => c.answeredAt),
        ),
      ),
      cpuSeconds: steadyCpu,
      loadavgBefore: steadyLoad.loadavg,
      history: steadyHistory,
    };
    log(`steady: hold p99 ${steady.holdLatencyMs.p99} ms, confirm p99 ${steady.confirmLatencyMs.p99} ms`);

    // ---- 4. Rejects: holds for seats already sold ----
    const rejectBuyers = await Promise.all(
      Array.from({ length: Math.min(4000, Math.ceil(params.rejects / 5)) }, (_, i) =>
        mintToken(jwtSecret, `bench-late-${run}-${i}`, 'buyer'),
      ),
    );
    const workflowsBeforeRejects = await countWorkflows(rushEvent);
    const rejectOnce = (i: number) =>
      attempt(http, 'POST', `/v1/events/${rushEvent}/reservations`, {
        token: rejectBuyers[i % rejectBuyers.length],
        body: { seatIds: [rushSeats[i % rushSeats.length]] },
        headers: { 'idempotency-key': `late-${i}` },
      });
    const warmup = Math.min(2000, Math.ceil(params.rejects / 10));
    await closedLoop(Array.from({ length: warmup }), params.rejectConcurrency, (_, i) => rejectOnce(i));
    log(`rejects: ${params.rejects} holds for sold seats, ${params.rejectConcurrency} in flight`);
    const rejectLoad = machineLoad();
    const rejectCpu0 = cpu();
    const rejectStart = performance.now();
    const rejectAnswers = await supervisor.watch(
      closedLoop(Array.from({ length: params.rejects }), params.rejectConcurrency, (_, i) =>
        rejectOnce(warmup + i),
      ),
    );
    const rejectWindow = performance.now() - rejectStart;
    const rejectCpu = cpuSpent(rejectCpu0, cpu());
    const rejects = {
      requests: params.rejects,
      statuses: statusCounts(rejectAnswers.map((a) => `${a.status} ${bodyField(a, 'code') ?? ''}`.trim())),
      perSecond: perSecond(params.rejects, rejectWindow),
      latencyMs: latency(rejectAnswers.map((a) => a.ms)),
      workflowsStarted: (await countWorkflows(rushEvent)) - workflowsBeforeRejects,
      cpuSeconds: rejectCpu,
      loadavgBefore: rejectLoad.loadavg,
    };
    log(`rejects: ${rejects.perSecond}/s, p99 ${rejects.latencyMs.p99} ms`);

    // ---- 5. Bare HTTP: the same requests answered 409 by a do-nothing node:http server ----
    // The machine's ceiling for this client: what any Node HTTP API could answer here.
    const bare = supervisor.start({
      name: 'bare-http',
      command: process.execPath,
      args: ['-e', bareHttpServer],
      env: process.env,
      stopGraceMs: 2000,
    });
    const barePort = Number((await supervisor.watch(waitForLine(bare, /^listening (\d+)$/, 30_000)))[1]);
    const bareHttp = createHttpClient(`http://127.0.0.1:${barePort}`, params.rejectConcurrency);
    cleanups.push(() => bareHttp.close());
    const bareOnce = (i: number) =>
      attempt(bareHttp, 'POST', `/v1/events/${rushEvent}/reservations`, {
        token: rejectBuyers[i % rejectBuyers.length],
        body: { seatIds: [rushSeats[i % rushSeats.length]] },
        headers: { 'idempotency-key': `bare-${i}` },
      });
    await closedLoop(Array.from({ length: warmup }), params.rejectConcurrency, (_, i) => bareOnce(i));
    const bareStart = performance.now();
    await closedLoop(Array.from({ length: params.rejects }), params.rejectConcurrency, (_, i) => bareOnce(i));
    const bareFloor = { perSecond: perSecond(params.rejects, performance.now() - bareStart) };
    log(`bare HTTP: ${bareFloor.perSecond}/s`);

    // ---- Invariants ----
    const invariants = await checkInvariants(pool, rushEvent, Math.min(params.seats, params.buyers));
    const steadyInvariants = await checkInvariants(pool, steadyEvent, steadyCount);
    const charged = (eventId: string) =>
      fixture.paymentIntents().filter((pi) => pi.metadata.eventId === eventId && pi.status === 'succeeded')
        .length;
    const gateway = {
      rushSucceededPaymentIntents: charged(rushEvent),
      steadySucceededPaymentIntents: charged(steadyEvent),
    };

    const loadAtEnd = machineLoad();
    const result = {
      benchmark: 'flash-sale',
      run,
      generatedAt: new Date().toISOString(),
      commit: gitCommit(),
      environment: {
        cpus: loadAtStart.cpus,
        node: process.version,
        loadAverageAtStart: loadAtStart.loadavg,
        loadAverageAtEnd: loadAtEnd.loadavg,
      },
      params,
      probe,
      rush,
      steady,
      rejects,
      bareHttp: bareFloor,
      invariants: { rush: invariants, steady: steadyInvariants, gateway },
      ratios: {
        holdsGrantedToProbe: Math.round((rush.holdsGrantedPerSecond / probe.perSecond) * 100) / 100,
        workflowsToProbe: Math.round((perSecond(rushWorkflows, holdWindow) / probe.perSecond) * 100) / 100,
        checkoutsToProbe: Math.round((rush.confirmedPerSecond / probe.perSecond) * 100) / 100,
        rejectsToBareHttp: Math.round((rejects.perSecond / bareFloor.perSecond) * 100) / 100,
      },
      targets: {
        steadyHoldP99Under200ms: steady.holdLatencyMs.p99 < 200,
        steadyConfirmP99Under2s: steady.confirmLatencyMs.p99 < 2000,
        rejectsAtLeast5000PerSecond: rejects.perSecond >= 5000,
        soldEqualsSeats: invariants.sold === invariants.expectedSold,
        oversoldZero: invariants.oversoldSeats === 0,
        oneChargePerOrder:
          invariants.doubleCharged === 0 && gateway.rushSucceededPaymentIntents === invariants.sold,
        noWorkflowForRejects: rejects.workflowsStarted === 0,
      },
    };
    const markdown = report(result);
    const paths = writeResults(flags.out, result, markdown);
    process.stdout.write(`\n${markdown}\n`);
    log(`wrote ${paths.json} and ${paths.md}`);
    const failed = Object.entries(result.targets).filter(([, ok]) => !ok);
    if (failed.some(([name]) => ['soldEqualsSeats', 'oversoldZero', 'oneChargePerOrder'].includes(name))) {
      process.exitCode = 1;
    }
  } finally {
    process.off('SIGINT', stopNow);
    process.off('SIGTERM', stopNow);
    for (const cleanup of cleanups.reverse()) {
      await Promise.resolve()
        .then(cleanup)
        .catch((error: unknown) => log(`cleanup: ${String(error)}`));
    }
  }
}

async function checkInvariants(pool: pg.Pool, eventId: string, expectedSold: number) {
  const one = async (sql: string) => (await pool.query<{ n: number }>(sql, [eventId])).rows[0]?.n ?? 0;
  const { rows } = await pool.query<{ status: string; n: number }>(
    'select status, count(*)::int as n from seats where event_id = $1 group by status',
    [eventId],
  );
  const seats = Object.fromEntries(rows.map((row) => [row.status, row.n]));
  return {
    expectedSold,
    sold: seats.sold ?? 0,
    held: seats.held ?? 0,
    available: seats.available ?? 0,
    oversoldSeats: await one(
      `select count(*)::int as n from (select seat_id from tickets where event_id = $1
        group by seat_id having count(*) > 1) oversold`,
    ),
    soldWithoutTicket: await one(
      `select count(*)::int as n from seats s where s.event_id = $1 and s.status = 'sold'
          and not exists (select 1 from tickets t where t.event_id = s.event_id and t.seat_id = s.seat_id)`,
    ),
    succeededPayments: await one(
      `select count(*)::int as n from payments p join reservations r on r.id = p.reservation_id
        where r.event_id = $1 and p.status = 'SUCCEEDED'`,
    ),
    doubleCharged: await one(
      `select count(*)::int as n from (select p.reservation_id from payments p
         join reservations r on r.id = p.reservation_id
        where r.event_id = $1 and p.status = 'SUCCEEDED' group by p.reservation_id having count(*) > 1) twice`,
    ),
  };
}

type Result = {
  params: typeof params;
  environment: { cpus: number; node: string; loadAverageAtStart: number[]; loadAverageAtEnd: number[] };
  commit?: string;
  generatedAt: string;
  probe: {
    workflows: number;
    perSecond: number;
    latencyMs: ReturnType<typeof latency>;
    cpuSeconds: CpuSample;
  };
  rush: {
    holdRequestsPerSecond: number;
    holdsGrantedPerSecond: number;
    holdLatencyMs: { all: ReturnType<typeof latency>; granted: ReturnType<typeof latency> };
    confirmedPerSecond: number;
    confirmLatencyMs: ReturnType<typeof latency>;
    conflictRate: number;
    fastRejectedShareOfConflicts: number;
    fastRejectedShareOfRequests: number;
    workflowsStarted: number;
    holdStatuses: Record<string, number>;
    holdsRetriedAfter202: number;
    confirmStatuses: Record<string, number>;
    confirmsRetriedAfter202: number;
    confirmsPaidAgainAfterTimeout: number;
    cpuSeconds: CpuSample;
    histories: Record<'checkout' | 'probe', Record<string, number> | undefined>;
  };
  steady: {
    checkouts: number;
    history: Record<string, number> | undefined;
    offeredPerSecond: number;
    holdLatencyMs: ReturnType<typeof latency>;
    confirmLatencyMs: ReturnType<typeof latency>;
    confirmedPerSecond: number;
    cpuSeconds: CpuSample;
  };
  rejects: {
    requests: number;
    perSecond: number;
    latencyMs: ReturnType<typeof latency>;
    statuses: Record<string, number>;
    workflowsStarted: number;
    cpuSeconds: CpuSample;
  };
  invariants: {
    rush: Awaited<ReturnType<typeof checkInvariants>>;
    gateway: { rushSucceededPaymentIntents: number };
  };
  bareHttp: { perSecond: number };
  ratios: {
    holdsGrantedToProbe: number;
    workflowsToProbe: number;
    checkoutsToProbe: number;
    rejectsToBareHttp: number;
  };
  targets: Record<string, boolean>;
};

function report(r: Result): string {
  const p = r.params;
  const ms = (l: ReturnType<typeof latency>) => `${l.p50} / ${l.p95} / ${l.p99}`;
  const ok = (pass: boolean) => (pass ? 'yes' : '**no**');
  const inv = r.invariants.rush;
  const names = Object.keys(r.probe.cpuSeconds);
  const phases = [
    ['probe', 'probe workflow', r.probe.workflows],
    ['rush', 'checkout (sold seat)', inv.sold],
    ['steady', 'checkout', r.steady.checkouts],
    ['rejects', 'rejected request', r.rejects.requests],
  ] as const;
  const cpuRows = phases.map(([phase]) => [phase, ...names.map((name) => r[phase].cpuSeconds[name] ?? 0)]);
  const perOpRows = phases.map(([phase, op, count]) => {
    const spent = r[phase].cpuSeconds;
    const perOp = (name: string) => Math.round(((spent[name] ?? 0) * 10_000) / Math.max(count, 1)) / 10;
    const total = names.reduce((sum, name) => sum + (name.includes('machine') ? 0 : perOp(name)), 0);
    return [`${phase} (per ${op})`, ...names.map(perOp), Math.round(total * 10) / 10];
  });
  return [
    '# Flash sale benchmark',
    '',
    `${r.generatedAt} · commit ${r.commit ?? '?'} · ${r.environment.cpus} CPUs (load ` +
      `${r.environment.loadAverageAtStart.join(' ')} at start, ${r.environment.loadAverageAtEnd.join(' ')} at end) · ` +
      `Node ${r.environment.node}`,
    '',
    `${p.seats} seats, ${p.buyers} buyers, ${p.concurrency} holds in flight; payment queue limited to ` +
      `${p.paymentRate}/s. Temporal dev server ${p.persistence}` +
      `${p.sqlitePragmas.length ? ` (pragmas ${p.sqlitePragmas.join(', ')})` : ''}` +
      `${p.dynamicConfig.length ? ` (dynamic config ${p.dynamicConfig.join(', ')})` : ''}` +
      `${p.temporalGomaxprocs ? ` (GOMAXPROCS=${p.temporalGomaxprocs})` : ''}; worker: ${p.worker}` +
      `${Object.keys(p.workerOptions).length ? ` ${JSON.stringify(p.workerOptions)}` : ''}; API: ${p.api}; ` +
      `LOG_LEVEL=${p.logLevel}.`,
    '',
    markdownTable(
      ['measure', 'value', 'target'],
      [
        ['probe workflows/s (floor: start + no-op activity + complete)', r.probe.perSecond, ''],
        ['probe latency p50 / p95 / p99 ms', ms(r.probe.latencyMs), ''],
        ['rush: hold answers/s (201 + 409)', r.rush.holdRequestsPerSecond, ''],
        ['rush: holds granted/s', r.rush.holdsGrantedPerSecond, ''],
        ['rush: hold p50 / p95 / p99 ms (all answers)', ms(r.rush.holdLatencyMs.all), ''],
        ['rush: hold p50 / p95 / p99 ms (granted, via workflow)', ms(r.rush.holdLatencyMs.granted), ''],
        [
          'rush: confirmed checkouts/s',
          r.rush.confirmedPerSecond,
          r.rush.confirmedPerSecond >= 0.8 * p.paymentRate
            ? `at the payment limit (${p.paymentRate}/s)`
            : `below the payment limit (${p.paymentRate}/s): the pipeline is the bound`,
        ],
        ['rush: confirm p50 / p95 / p99 ms (queued in the rush)', ms(r.rush.confirmLatencyMs), ''],
        ['rush: 409 rate', r.rush.conflictRate, ''],
        ['rush: fast-rejected share of 409s (no workflow)', r.rush.fastRejectedShareOfConflicts, ''],
        ['rush: fast-rejected share of all holds', r.rush.fastRejectedShareOfRequests, ''],
        ['rush: workflows started', r.rush.workflowsStarted, ''],
        ['holds granted/s ÷ probe/s', r.ratios.holdsGrantedToProbe, ''],
        ['reservation workflows started/s ÷ probe/s', r.ratios.workflowsToProbe, ''],
        ['checkouts/s ÷ probe/s', r.ratios.checkoutsToProbe, ''],
        [`steady: offered checkouts/s`, r.steady.offeredPerSecond, ''],
        [
          'steady: hold p50 / p95 / p99 ms',
          ms(r.steady.holdLatencyMs),
          `p99 < 200: ${ok(r.targets.steadyHoldP99Under200ms as boolean)}`,
        ],
        [
          'steady: confirm p50 / p95 / p99 ms',
          ms(r.steady.confirmLatencyMs),
          `p99 < 2000: ${ok(r.targets.steadyConfirmP99Under2s as boolean)}`,
        ],
        [
          'rejects: sold-seat holds answered/s',
          r.rejects.perSecond,
          `≥ 5000: ${ok(r.targets.rejectsAtLeast5000PerSecond as boolean)}`,
        ],
        ['rejects: p50 / p95 / p99 ms', ms(r.rejects.latencyMs), ''],
        ['bare node:http 409s/s, same client (machine ceiling)', r.bareHttp.perSecond, ''],
        ['rejects/s ÷ bare HTTP/s', r.ratios.rejectsToBareHttp, ''],
        [
          'rejects: workflows started',
          r.rejects.workflowsStarted,
          `0: ${ok(r.targets.noWorkflowForRejects as boolean)}`,
        ],
        ['sold / seats', `${inv.sold} / ${inv.expectedSold}`, ok(r.targets.soldEqualsSeats as boolean)],
        ['oversold seats', inv.oversoldSeats, `0: ${ok(r.targets.oversoldZero as boolean)}`],
        [
          'succeeded charges (gateway / audit) / double-charged',
          `${r.invariants.gateway.rushSucceededPaymentIntents} / ${inv.succeededPayments} / ${inv.doubleCharged}`,
          ok(r.targets.oneChargePerOrder as boolean),
        ],
      ],
    ),
    '',
    `Rush holds: ${JSON.stringify(r.rush.holdStatuses)} (${r.rush.holdsRetriedAfter202} re-sent after a 202). ` +
      `Rush confirms: ${JSON.stringify(r.rush.confirmStatuses)} (${r.rush.confirmsRetriedAfter202} re-sent after ` +
      `a 202, ${r.rush.confirmsPaidAgainAfterTimeout} paid again after a 402 PAYMENT_FAILED). ` +
      `Rejects: ${JSON.stringify(r.rejects.statuses)}.`,
    '',
    `History of one confirmed checkout in the rush: ${JSON.stringify(r.rush.histories.checkout)}; in the ` +
      `steady phase: ${JSON.stringify(r.steady.history)}; of one probe: ${JSON.stringify(r.rush.histories.probe)}.`,
    '',
    'CPU seconds per phase (postgres and redis-server count every user of the machine):',
    '',
    markdownTable(['phase', ...names], cpuRows),
    '',
    'CPU milliseconds per operation (total: the benchmark and its own children, without postgres/redis):',
    '',
    markdownTable(['phase', ...names, 'total'], perOpRows),
  ].join('\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`flash-sale: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
