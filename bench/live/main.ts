// Owns `npm run bench:live`: the live seat map's fan-out on one API process. The API runs here (served
// on a free port, the real app), the SSE clients in a child process (client-process.ts), so the API's
// memory per client is its own, and the checkout in another (driver-process.ts), as the worker is, so
// the commits keep their rate. Once every client has its snapshot, seats change at --rate per second
// through the checkout's hold and release code; the report gives fan-out latency from the Postgres commit
// to each client (p50/p99), memory per client, and whether every client saw every transition exactly
// once, in version order (exit code 1 if not). Writes bench/results/<out>.md and .json.
//
// Flags: --clients 2000 --client-processes 4 --rate 40 --transitions 800 --seats 200 --out live
// Env: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/boxoffice_bench_live, created and
//      migrated), BENCH_REDIS_URL (default redis://127.0.0.1:6379/13).
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { serve } from '@hono/node-server';
import { Client, Connection } from '@temporalio/client';
import { createApp, createRouteDeps } from '../../api/app';
import { migrate } from '../../db/migrate';
import { checkPostgres, checkRedis, ensureDatabase } from '../../scripts/lib/preflight';
import { createEvent } from '../../src/inventory/events';
import { liveChannel } from '../../src/inventory/seat-map';
import { loadConfig } from '../../src/platform/config';
import { createPool } from '../../src/platform/db';
import { createLogger } from '../../src/platform/logger';
import { createRedis } from '../../src/platform/redis';
import { createStripe } from '../../src/platform/stripe';
import { gitCommit, machineLoad, perSecond, runEnvironment, writeResults } from '../lib/stats';
import type { FromClients, ToClients } from './client-process';
import { mergeTallies } from './clients';
import type { FromDriver, ToDriver } from './driver-process';
import { type LiveResult, type Memory, markdown } from './report';

const databaseUrl =
  process.env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/boxoffice_bench_live';
const redisUrl = process.env.BENCH_REDIS_URL || 'redis://127.0.0.1:6379/13';
const say = (line: string) => process.stdout.write(`${line}\n`);

function options() {
  const { values } = parseArgs({
    options: {
      clients: { type: 'string', default: '2000' },
      'client-processes': { type: 'string', default: '4' },
      rate: { type: 'string', default: '40' },
      transitions: { type: 'string', default: '800' },
      seats: { type: 'string', default: '200' },
      out: { type: 'string', default: 'live' },
    },
  });
  const positive = (name: keyof typeof values) => {
    const value = Number(values[name]);
    if (!Number.isInteger(value) || value <= 0) {
      process.stderr.write(`--${name} must be a positive integer, got ${values[name]}\n`);
      process.exit(2);
    }
    return value;
  };
  return {
    clients: positive('clients'),
    clientProcesses: positive('client-processes'),
    rate: positive('rate'),
    transitions: positive('transitions'),
    seats: positive('seats'),
    out: values.out ?? 'live',
  };
}

// A full GC before each memory reading, so the figures are what the clients keep, not garbage.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
function memory(): Memory {
  gc();
  const { rss, heapUsed } = process.memoryUsage();
  return { rssBytes: rss, heapUsedBytes: heapUsed };
}

async function main() {
  const params = options();
  const loadAtStart = machineLoad();
  await checkPostgres(databaseUrl);
  await checkRedis(redisUrl);
  await ensureDatabase(databaseUrl);
  await migrate(databaseUrl);
  const config = loadConfig({
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    AUTH_JWT_SECRET: 'bench-live-secret-0123456789',
    STRIPE_SECRET_KEY: 'sk_test_bench_live',
    LOG_LEVEL: 'warn',
    LIVE_MAX_SUBSCRIBERS: String(params.clients + 10),
  });
  const log = createLogger('warn', 'bench-live');
  const pool = createPool(databaseUrl, 20);
  const redis = createRedis(redisUrl);
  // The streams never reach Temporal or Stripe: a lazy connection that never dials, a client never called.
  const temporal = new Client({ connection: Connection.lazy({ address: config.temporal.address }) });
  const deps = { config, pool, redis, temporal, stripe: createStripe(config.stripe), log };
  const services = createRouteDeps(deps);
  const app = createApp(deps, services);
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  const event = await createEvent(pool, {
    name: `bench live ${Date.now().toString(36)}`,
    venue: 'Bench Hall',
    startsAt: new Date(Date.now() + 86_400_000).toISOString(),
    currency: 'EUR',
    holdSeconds: 600,
    maxSeatsPerBuyer: 10,
    sections: [{ id: 'A', name: 'A', price: 5000, rows: [{ id: '1', seats: params.seats }] }],
    createdBy: 'bench',
  });
  await services.seatMap.fill(event.id);
  const seatIds = Array.from({ length: params.seats }, (_, i) => `A-1-${i + 1}`);
  say(`event ${event.id}: ${params.seats} seats; API on port ${port}`);

  const start = (entry: string) =>
    fork(new URL(entry, import.meta.url), [], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      // Structured clone: the latency samples travel as typed arrays.
      serialization: 'advanced',
    });
  const clientProcesses = Array.from({ length: params.clientProcesses }, () => start('./client-process.ts'));
  /** The next message of every client process, once each has sent one of `type`. */
  const fromAll = <T extends FromClients['type']>(type: T) =>
    Promise.all(
      clientProcesses.map(async (child) => {
        const [message] = (await Promise.race([
          once(child, 'message'),
          once(child, 'exit').then(([code]) => {
            throw new Error(`a client process exited (${code}) before it sent ${type}`);
          }),
        ])) as [FromClients];
        if (message.type === 'failed') throw new Error(`client process: ${message.message}`);
        if (message.type !== type) throw new Error(`client process sent ${message.type}, not ${type}`);
        return message as Extract<FromClients, { type: T }>;
      }),
    );
  const tellAll = (message: (index: number) => ToClients) => {
    clientProcesses.forEach((child, index) => {
      child.send(message(index));
    });
  };
  const share = (index: number) =>
    Math.floor(params.clients / params.clientProcesses) +
    (index < params.clients % params.clientProcesses ? 1 : 0);
  const checkout = start('./driver-process.ts');

  try {
    const before = memory();
    const cpuBefore = process.cpuUsage();
    const url = `http://127.0.0.1:${port}/v1/events/${event.id}/seats/stream`;
    tellAll((index) => ({ type: 'connect', url, clients: share(index) }));
    const connectMs = Math.max(...(await fromAll('ready')).map((ready) => ready.connectMs));
    const cpuConnected = process.cpuUsage();
    const connected = memory();
    const [, subscriptions] = (await redis.pubsub('NUMSUB', liveChannel(event.id))) as [string, number];
    say(
      `${params.clients} clients connected in ${connectMs} ms; driving ${params.transitions} transitions at ${params.rate}/s`,
    );

    // The checkout has a seat map of its own, as the worker has: transitions reach the API through Redis.
    checkout.send({
      type: 'drive',
      databaseUrl,
      redisUrl,
      eventId: event.id,
      seatIds,
      rate: params.rate,
      transitions: params.transitions,
    } satisfies ToDriver);
    const [driven] = (await once(checkout, 'message')) as [FromDriver];
    if (driven.type === 'failed') throw new Error(`checkout process: ${driven.message}`);
    const { commits } = driven;
    const finalVersion = (await services.seatMap.version(event.id)) ?? 0;
    tellAll(() => ({ type: 'verdict', commits, finalVersion, deadlineMs: 60_000 }));
    const verdicts = await fromAll('verdict');
    const verdict = mergeTallies(verdicts.map((answer) => answer.tally));
    const clientCpuMs = verdicts.reduce((sum, answer) => sum + answer.cpuMs, 0);
    const cpuFanOut = process.cpuUsage(cpuConnected);
    const after = memory();
    const cpuConnect = process.cpuUsage(cpuBefore);

    const result: LiveResult = {
      benchmark: 'live',
      generatedAt: new Date().toISOString(),
      commit: gitCommit(),
      environment: runEnvironment(loadAtStart),
      params: {
        clients: params.clients,
        clientProcesses: params.clientProcesses,
        rate: params.rate,
        transitions: params.transitions,
        seats: params.seats,
      },
      connect: { ms: connectMs },
      drive: {
        transitions: commits.transitions,
        failures: commits.failures,
        windowMs: commits.windowMs,
        perSecond: perSecond(commits.transitions, commits.windowMs),
      },
      verdict,
      memory: {
        before,
        connected,
        after,
        perClient: {
          rssBytes: Math.round((connected.rssBytes - before.rssBytes) / params.clients),
          heapBytes: Math.round((connected.heapUsedBytes - before.heapUsedBytes) / params.clients),
        },
      },
      redisSubscriptions: subscriptions,
      cpuMs: {
        apiConnect: Math.round(
          (cpuConnect.user + cpuConnect.system - cpuFanOut.user - cpuFanOut.system) / 1000,
        ),
        apiFanOut: Math.round((cpuFanOut.user + cpuFanOut.system) / 1000),
        clients: clientCpuMs,
      },
    };
    const text = markdown(result);
    const paths = writeResults(params.out, result, text);
    say(`\n${text}`);
    say(`wrote ${paths.json} and ${paths.md}`);
    if (verdict.exact !== verdict.clients || commits.failures > 0) process.exitCode = 1;
  } finally {
    for (const child of clientProcesses) child.kill();
    checkout.kill();
    server.close();
    if ('closeAllConnections' in server) server.closeAllConnections();
    redis.disconnect();
    await pool.end();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:live: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
