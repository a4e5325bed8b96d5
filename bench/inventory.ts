// `npm run bench:inventory`: how fast the inventory holds, releases and reads, against the floor of a
// bare conditional UPDATE, on its own database (boxoffice_bench). Prints a table and writes
// bench/results/inventory.json and bench/results/inventory.md. Runs for about a minute.
//
//   BENCH_DATABASE_URL  postgres://postgres@127.0.0.1:5432/boxoffice_bench (created and migrated)
//   BENCH_REDIS_URL     redis://127.0.0.1:6379/14
//   BENCH_POOL_SIZE     32 (Postgres connections; higher concurrencies queue on the pool, as in the API)
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { createInventoryActivities } from '../activities/inventory';
import { migrate } from '../db/migrate';
import { checkPostgres, checkRedis, ensureDatabase } from '../scripts/lib/preflight';
import { createEvent, type NewSection } from '../src/inventory/events';
import { createSeatMap } from '../src/inventory/seat-map';
import type { SeatRequest } from '../src/inventory/seats';
import { createPool, type Pool } from '../src/platform/db';
import { createLogger } from '../src/platform/logger';
import { createRedis } from '../src/platform/redis';

const databaseUrl = process.env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/boxoffice_bench';
const redisUrl = process.env.BENCH_REDIS_URL || 'redis://127.0.0.1:6379/14';
const poolSize = Number(process.env.BENCH_POOL_SIZE || 32);
const levels = [
  { concurrency: 1, ops: 400 },
  { concurrency: 8, ops: 1200 },
  { concurrency: 32, ops: 2000 },
  { concurrency: 128, ops: 2000 },
];
const seatsPerHold = 2;
const rounds = 8;
const readSeconds = 3;
const resultsDir = join(import.meta.dirname, 'results');

interface Stats {
  ops: number;
  failures: number;
  seconds: number;
  opsPerSecond: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
}

const say = (line: string) => process.stdout.write(`${line}\n`);

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

function summarize(latencies: number[], failures: number, seconds: number): Stats {
  const sorted = [...latencies].sort((a, b) => a - b);
  const round = (value: number) => Math.round(value * 100) / 100;
  return {
    ops: latencies.length,
    failures,
    seconds: round(seconds),
    opsPerSecond: Math.round(latencies.length / seconds),
    p50Ms: round(percentile(sorted, 50)),
    p95Ms: round(percentile(sorted, 95)),
    p99Ms: round(percentile(sorted, 99)),
  };
}

interface Tally {
  latencies: number[];
  failures: number;
  seconds: number;
}

const tally = (): Tally => ({ latencies: [], failures: 0, seconds: 0 });
const stats = (t: Tally) => summarize(t.latencies, t.failures, t.seconds);

/** Runs operations `from` to `to` with `concurrency` callers pulling from one queue, timing each. */
async function measure(
  into: Tally,
  concurrency: number,
  from: number,
  to: number,
  op: (index: number) => Promise<unknown>,
): Promise<void> {
  let next = from;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < to) {
        const index = next;
        next += 1;
        const t0 = performance.now();
        try {
          await op(index);
          into.latencies.push(performance.now() - t0);
        } catch {
          into.failures += 1;
        }
      }
    }),
  );
  into.seconds += (performance.now() - started) / 1000;
}

/** As many operations as fit in `seconds`, for reads. */
async function measureFor(concurrency: number, seconds: number, op: () => Promise<unknown>): Promise<Stats> {
  const latencies: number[] = [];
  let failures = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        try {
          await op();
          latencies.push(performance.now() - t0);
        } catch {
          failures += 1;
        }
      }
    }),
  );
  return summarize(latencies, failures, (performance.now() - started) / 1000);
}

function grid(prefix: string, rows: number, seats: number, price: number): NewSection {
  return {
    id: prefix,
    name: prefix,
    price,
    rows: Array.from({ length: rows }, (_, index) => ({ id: String(index + 1), seats })),
  };
}

function shuffled<T>(items: T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i -= 1) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}

async function hotEvent(pool: Pool, name: string) {
  // HOT is where best-available buyers crowd; the rest spreads explicit picks over 10,000 seats.
  return createEvent(pool, {
    name,
    venue: 'Bench Arena',
    startsAt: new Date(Date.now() + 86_400_000).toISOString(),
    currency: 'EUR',
    holdSeconds: 600,
    maxSeatsPerBuyer: 10,
    sections: [grid('HOT', 50, 100, 9900), grid('B', 50, 50, 4500), grid('C', 50, 50, 2500)],
    createdBy: 'bench',
  });
}

async function main() {
  await checkPostgres(databaseUrl);
  await checkRedis(redisUrl);
  await ensureDatabase(databaseUrl);
  await migrate(databaseUrl);
  const pool = createPool(databaseUrl, poolSize);
  const redis = createRedis(redisUrl);
  const log = createLogger('warn', 'bench-inventory');
  const seatMap = createSeatMap({ pool, redis, log });
  const inventory = createInventoryActivities({ pool, redis, log, seatMap });
  const run = Date.now().toString(36);

  const settings = await pool.query<{ version: string; sync: string; autovacuum: string }>(
    `select split_part(version(), ' on ', 1) as version, current_setting('synchronous_commit') as sync,
            current_setting('autovacuum') as autovacuum`,
  );
  const environment = {
    node: process.version,
    postgres: settings.rows[0]?.version ?? 'unknown',
    synchronousCommit: settings.rows[0]?.sync ?? 'unknown',
    autovacuum: settings.rows[0]?.autovacuum ?? 'unknown',
    loadAverage: os.loadavg().map((load) => Math.round(load * 10) / 10),
    cpus: os.cpus().length,
    poolSize,
    seatsPerHold,
  };
  say(
    `inventory benchmark: ${environment.postgres}, synchronous_commit=${environment.synchronousCommit}, ` +
      `${environment.cpus} cpus, pool ${poolSize}, ${seatsPerHold} seats per hold`,
  );

  const holdsEvent = await hotEvent(pool, `bench holds ${run}`);
  const floorEvent = await hotEvent(pool, `bench floor ${run}`);
  await seatMap.fill(holdsEvent.id);
  // Fresh statistics and no dead rows from earlier runs, for the floor's plan as much as ours (this
  // server may run without autovacuum; the floor's WHERE is only fast once the planner knows the table).
  await pool.query('vacuum analyze seats');
  const explicitSeats = (
    await pool.query<{ seat_id: string }>('select seat_id from seats where event_id = $1', [holdsEvent.id])
  ).rows.map((row) => row.seat_id);

  const id = (kind: string, concurrency: number, index: number) => `${run}-${kind}-${concurrency}-${index}`;
  const holdOp =
    (kind: string, concurrency: number, request: (index: number) => SeatRequest) => (index: number) =>
      inventory.holdSeats({
        reservationId: id(kind, concurrency, index),
        buyerId: id(kind, concurrency, index),
        eventId: holdsEvent.id,
        request: request(index),
      });
  const releaseOp = (kind: string, concurrency: number) => (index: number) =>
    inventory.releaseSeats({ reservationId: id(kind, concurrency, index), reason: 'bench', actor: 'bench' });
  // The floor: one conditional UPDATE per hold and per release, nothing else (no audit, no limit, no
  // cache). Unnamed, so Postgres plans each with the actual seat ids: the best plan a bare UPDATE gets
  // (a prepared generic plan of this WHERE can scan the partial index, see migration 0003).
  const floorHoldOp = (concurrency: number, pairs: string[][]) => (index: number) =>
    pool.query(
      `update seats set status = 'held', reservation_id = $3, buyer_id = $3,
              held_until = now() + interval '600 seconds', version = version + 1
        where event_id = $1 and seat_id = any($2::text[]) and status = 'available'`,
      [floorEvent.id, pairs[index], id('floor', concurrency, index)],
    );
  const floorReleaseOp = (concurrency: number) => (index: number) =>
    pool.query(
      `update seats set status = 'available', reservation_id = null, buyer_id = null, held_until = null,
              version = version + 1
        where reservation_id = $1 and status = 'held'`,
      [id('floor', concurrency, index)],
    );

  // Warm the plans, the pool and the caches before anything is timed.
  const warm = tally();
  const warmPairs = Array.from({ length: 100 }, (_, i) => [`C-1-${(i % 50) + 1}`, `C-2-${(i % 50) + 1}`]);
  await measure(
    warm,
    8,
    0,
    100,
    holdOp('warm', 8, (index) => ({ seatIds: warmPairs[index] ?? [] })),
  );
  await measure(warm, 8, 0, 100, releaseOp('warm', 8));
  await measure(warm, 8, 0, 100, floorHoldOp(0, warmPairs));
  await measure(warm, 8, 0, 100, floorReleaseOp(0));

  const holds: {
    concurrency: number;
    mode: 'explicit' | 'best-available';
    hold: Stats;
    release: Stats;
    floorHold: Stats;
    floorRelease: Stats;
    holdToFloor: number;
    releaseToFloor: number;
  }[] = [];
  for (const { concurrency, ops } of levels) {
    // Each level starts from a clean table, as autovacuum would keep it, for the floor and the holds alike.
    await pool.query('vacuum seats');
    // Explicit picks spread over sections B and C; best-available buyers crowd the front of HOT.
    const seats = shuffled(explicitSeats.filter((seatId) => !seatId.startsWith('HOT-')));
    const pairs = Array.from({ length: ops }, (_, i) =>
      seats.slice(i * seatsPerHold, (i + 1) * seatsPerHold),
    );
    const t = {
      floorHold: tally(),
      floorRelease: tally(),
      explicitHold: tally(),
      explicitRelease: tally(),
      bestHold: tally(),
      bestRelease: tally(),
    };
    // Interleaved in rounds, so the floor and the holds see the same background load on a shared machine.
    const chunk = Math.ceil(ops / rounds);
    for (let from = 0; from < ops; from += chunk) {
      const to = Math.min(ops, from + chunk);
      await measure(t.floorHold, concurrency, from, to, floorHoldOp(concurrency, pairs));
      await measure(
        t.explicitHold,
        concurrency,
        from,
        to,
        holdOp('x', concurrency, (i) => ({ seatIds: pairs[i] ?? [] })),
      );
      await measure(
        t.bestHold,
        concurrency,
        from,
        to,
        holdOp('b', concurrency, () => ({ section: 'HOT', quantity: seatsPerHold })),
      );
      await measure(t.floorRelease, concurrency, from, to, floorReleaseOp(concurrency));
      await measure(t.explicitRelease, concurrency, from, to, releaseOp('x', concurrency));
      await measure(t.bestRelease, concurrency, from, to, releaseOp('b', concurrency));
    }
    const floorHold = stats(t.floorHold);
    const floorRelease = stats(t.floorRelease);
    for (const [mode, hold, release] of [
      ['explicit', stats(t.explicitHold), stats(t.explicitRelease)],
      ['best-available', stats(t.bestHold), stats(t.bestRelease)],
    ] as const) {
      const row = {
        concurrency,
        mode,
        hold,
        release,
        floorHold,
        floorRelease,
        holdToFloor: Math.round((hold.opsPerSecond / floorHold.opsPerSecond) * 100) / 100,
        releaseToFloor: Math.round((release.opsPerSecond / floorRelease.opsPerSecond) * 100) / 100,
      };
      holds.push(row);
      say(
        `c=${String(concurrency).padStart(3)} ${mode.padEnd(14)} hold ${hold.opsPerSecond}/s ` +
          `(p50 ${hold.p50Ms} p99 ${hold.p99Ms} ms) release ${release.opsPerSecond}/s | floor ` +
          `${floorHold.opsPerSecond}/s ${floorRelease.opsPerSecond}/s | hold/floor ${row.holdToFloor}`,
      );
    }
  }

  // A 100,000-seat venue: 40 sections of 50 rows of 50 seats.
  const bigSections = Array.from({ length: 40 }, (_, i) => grid(`S${i + 1}`, 50, 50, 1000 + i * 100));
  let t0 = performance.now();
  const big = await createEvent(pool, {
    name: `bench 100k ${run}`,
    venue: 'Stadium',
    startsAt: new Date(Date.now() + 86_400_000).toISOString(),
    currency: 'EUR',
    holdSeconds: 600,
    maxSeatsPerBuyer: 10,
    sections: bigSections,
    createdBy: 'bench',
  });
  const createMs = Math.round(performance.now() - t0);
  t0 = performance.now();
  await seatMap.fill(big.id);
  const fillMs = Math.round(performance.now() - t0);
  const createEventResult = { seats: big.totalSeats, createMs, fillMs };
  say(
    `create a ${big.totalSeats}-seat event: ${createMs} ms in Postgres, then ${fillMs} ms to fill the seat map`,
  );

  // Browsing that event: one 2,500-seat section, and the per-section counts.
  const reads = [] as { read: string; source: 'redis' | 'postgres'; stats: Stats }[];
  const readers = [
    ['seat map of one section (2,500 seats)', 'redis', () => seatMap.cached.read(big.id, 'S7')],
    ['seat map of one section (2,500 seats)', 'postgres', () => seatMap.fromPostgres.read(big.id, 'S7')],
    ['availability of 40 sections', 'redis', () => seatMap.cached.availability(big.id)],
    ['availability of 40 sections', 'postgres', () => seatMap.fromPostgres.availability(big.id)],
  ] as const;
  for (const [read, source, op] of readers) {
    const result = await measureFor(8, readSeconds, op);
    reads.push({ read, source, stats: result });
    say(`${read} from ${source}: ${result.opsPerSecond}/s (p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms)`);
  }

  const results = {
    generatedAt: new Date().toISOString(),
    environment,
    holds,
    createEvent: createEventResult,
    reads,
  };
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(join(resultsDir, 'inventory.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(resultsDir, 'inventory.md'), markdown(results));
  say('');
  say(markdown(results));
  say(`wrote ${join('bench', 'results', 'inventory.json')} and inventory.md`);

  redis.disconnect();
  await pool.end();
}

function markdown(results: {
  generatedAt: string;
  environment: Record<string, unknown>;
  holds: {
    concurrency: number;
    mode: string;
    hold: Stats;
    release: Stats;
    floorHold: Stats;
    floorRelease: Stats;
    holdToFloor: number;
    releaseToFloor: number;
  }[];
  createEvent: { seats: number; createMs: number; fillMs: number };
  reads: { read: string; source: string; stats: Stats }[];
}): string {
  const e = results.environment;
  const lines = [
    '# Inventory benchmark',
    '',
    `${results.generatedAt} · ${e.postgres} · synchronous_commit=${e.synchronousCommit} · ` +
      `autovacuum=${e.autovacuum} · ${e.cpus} CPUs (load ${(e.loadAverage as number[]).join(' ')} at start) · ` +
      `Node ${e.node} · pool ${e.poolSize} · ${e.seatsPerHold} seats per hold · one hot event`,
    '',
    'Hold and release are the activities the checkout workflow calls (Postgres transaction with audit rows,',
    'buyer limit and idempotency, then the Redis write-through). The floor is one bare conditional UPDATE',
    'per operation on the same seats table. Floor and holds run interleaved in rounds so both see the same',
    'background load; latencies include waiting for a pooled connection.',
    '',
    '| concurrency | request | hold ops/s | hold p50 / p95 / p99 ms | release ops/s | release p50 / p95 / p99 ms | floor hold ops/s | floor release ops/s | hold / floor | release / floor | failed |',
    '|---:|---|---:|---|---:|---|---:|---:|---:|---:|---:|',
  ];
  for (const row of results.holds) {
    const p = (s: Stats) => `${s.p50Ms} / ${s.p95Ms} / ${s.p99Ms}`;
    lines.push(
      `| ${row.concurrency} | ${row.mode} | ${row.hold.opsPerSecond} | ${p(row.hold)} | ${row.release.opsPerSecond} | ` +
        `${p(row.release)} | ${row.floorHold.opsPerSecond} | ${row.floorRelease.opsPerSecond} | ${row.holdToFloor} | ` +
        `${row.releaseToFloor} | ${row.hold.failures + row.release.failures} |`,
    );
  }
  lines.push(
    '',
    `Creating a ${results.createEvent.seats}-seat event (one transaction, set-based inserts): ` +
      `${results.createEvent.createMs} ms; filling its Redis seat map: ${results.createEvent.fillMs} ms.`,
    '',
    '| read | source | ops/s | p50 ms | p99 ms |',
    '|---|---|---:|---:|---:|',
  );
  for (const read of results.reads) {
    lines.push(
      `| ${read.read} | ${read.source} | ${read.stats.opsPerSecond} | ${read.stats.p50Ms} | ${read.stats.p99Ms} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:inventory: ${(error as Error).stack ?? error}\n`);
  process.exit(1);
});
