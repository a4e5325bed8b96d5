// Owns the inventory benchmark's results: the record bench/results/inventory.json keeps and the
// markdown people read.
import type { Stats } from './measure';

/** One concurrency level and request mode: the activities against the bare-UPDATE floor. */
export interface HoldRow {
  concurrency: number;
  mode: 'explicit' | 'best-available';
  hold: Stats;
  release: Stats;
  floorHold: Stats;
  floorRelease: Stats;
  holdToFloor: number;
  releaseToFloor: number;
}

export interface InventoryResults {
  generatedAt: string;
  environment: Record<string, unknown>;
  holds: HoldRow[];
  createEvent: { seats: number; createMs: number; fillMs: number };
  reads: { read: string; source: 'redis' | 'postgres'; stats: Stats }[];
}

export function markdown(results: InventoryResults): string {
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
