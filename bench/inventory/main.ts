// `npm run bench:inventory`: how fast the inventory holds, releases and reads, against the floor of a
// bare conditional UPDATE, on its own database (boxoffice_bench). Prints a table and writes
// bench/results/inventory.json and bench/results/inventory.md. Runs for about a minute.
//
//   BENCH_DATABASE_URL  postgres://postgres@127.0.0.1:5432/boxoffice_bench (created and migrated)
//   BENCH_REDIS_URL     redis://127.0.0.1:6379/14
//   BENCH_POOL_SIZE     32 (Postgres connections; higher concurrencies queue on the pool, as in the API)
import os from 'node:os';
import { join } from 'node:path';
import { createInventoryActivities } from '../../activities/inventory';
import { migrate } from '../../db/migrate';
import { checkPostgres, checkRedis, ensureDatabase } from '../../scripts/lib/preflight';
import { createSeatMap } from '../../src/inventory/seat-map';
import { createPool } from '../../src/platform/db';
import { createLogger } from '../../src/platform/logger';
import { createRedis } from '../../src/platform/redis';
import { writeResults } from '../lib/stats';
import { hotEvent, stadiumEvent } from './events';
import { measureHolds, seatsPerHold } from './holds';
import { measureFor } from './measure';
import { type InventoryResults, markdown } from './report';

const databaseUrl = process.env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/boxoffice_bench';
const redisUrl = process.env.BENCH_REDIS_URL || 'redis://127.0.0.1:6379/14';
const poolSize = Number(process.env.BENCH_POOL_SIZE || 32);
const readSeconds = 3;

const say = (line: string) => process.stdout.write(`${line}\n`);

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
  const seatIds = (
    await pool.query<{ seat_id: string }>('select seat_id from seats where event_id = $1', [holdsEvent.id])
  ).rows.map((row) => row.seat_id);
  const holds = await measureHolds({
    pool,
    inventory,
    run,
    holdsEventId: holdsEvent.id,
    floorEventId: floorEvent.id,
    seatIds,
    say,
  });

  let t0 = performance.now();
  const big = await stadiumEvent(pool, `bench 100k ${run}`);
  const createMs = Math.round(performance.now() - t0);
  t0 = performance.now();
  await seatMap.fill(big.id);
  const fillMs = Math.round(performance.now() - t0);
  const createEventResult = { seats: big.totalSeats, createMs, fillMs };
  say(
    `create a ${big.totalSeats}-seat event: ${createMs} ms in Postgres, then ${fillMs} ms to fill the seat map`,
  );

  // Browsing that event: one 2,500-seat section, and the per-section counts.
  const reads: InventoryResults['reads'] = [];
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

  const results: InventoryResults = {
    generatedAt: new Date().toISOString(),
    environment,
    holds,
    createEvent: createEventResult,
    reads,
  };
  writeResults('inventory', results, markdown(results));
  say('');
  say(markdown(results));
  say(`wrote ${join('bench', 'results', 'inventory.json')} and inventory.md`);

  redis.disconnect();
  await pool.end();
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:inventory: ${(error as Error).stack ?? error}\n`);
  process.exit(1);
});
