// Owns the hold and release measurements: the checkout's activities (explicit picks and best-available)
// against the floor of one bare conditional UPDATE, at each concurrency level, interleaved in rounds.
import type { createInventoryActivities } from '../../activities/inventory';
import type { SeatRequest } from '../../src/inventory/seat-request';
import type { Pool } from '../../src/platform/db';
import { measure, stats, tally } from './measure';
import type { HoldRow } from './report';

const levels = [
  { concurrency: 1, ops: 400 },
  { concurrency: 8, ops: 1200 },
  { concurrency: 32, ops: 2000 },
  { concurrency: 128, ops: 2000 },
];
export const seatsPerHold = 2;
const rounds = 8;

export interface HoldsSetup {
  pool: Pool;
  inventory: ReturnType<typeof createInventoryActivities>;
  run: string;
  /** The event the activities hold from, and an identical one for the floor. */
  holdsEventId: string;
  floorEventId: string;
  /** Every seat of the holds event (the floor's event has the same seat ids). */
  seatIds: string[];
  say(line: string): void;
}

function shuffled<T>(items: T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i -= 1) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}

/** Operations by index: each hold and its release share an id, so a release undoes its hold. */
function operations({ pool, inventory, run, holdsEventId, floorEventId }: HoldsSetup) {
  const id = (kind: string, concurrency: number, index: number) => `${run}-${kind}-${concurrency}-${index}`;
  return {
    hold: (kind: string, concurrency: number, request: (index: number) => SeatRequest) => (index: number) =>
      inventory.holdSeats({
        reservationId: id(kind, concurrency, index),
        buyerId: id(kind, concurrency, index),
        eventId: holdsEventId,
        request: request(index),
      }),
    release: (kind: string, concurrency: number) => (index: number) =>
      inventory.releaseSeats({
        reservationId: id(kind, concurrency, index),
        reason: 'bench',
        actor: 'bench',
      }),
    // The floor: one conditional UPDATE per hold and per release, nothing else (no audit, no limit, no
    // cache). Unnamed, so Postgres plans each with the actual seat ids: the best plan a bare UPDATE gets
    // (a prepared generic plan of this WHERE can scan the partial index, see migration 0003).
    floorHold: (concurrency: number, pairs: string[][]) => (index: number) =>
      pool.query(
        `update seats set status = 'held', reservation_id = $3, buyer_id = $3,
                held_until = now() + interval '600 seconds', version = version + 1
          where event_id = $1 and seat_id = any($2::text[]) and status = 'available'`,
        [floorEventId, pairs[index], id('floor', concurrency, index)],
      ),
    floorRelease: (concurrency: number) => (index: number) =>
      pool.query(
        `update seats set status = 'available', reservation_id = null, buyer_id = null, held_until = null,
                version = version + 1
          where reservation_id = $1 and status = 'held'`,
        [id('floor', concurrency, index)],
      ),
  };
}

/** Warms up, then measures every level; says one line per level and mode. */
export async function measureHolds(setup: HoldsSetup): Promise<HoldRow[]> {
  const { pool, say } = setup;
  const op = operations(setup);
  // Warm the plans, the pool and the caches before anything is timed.
  const warm = tally();
  const warmPairs = Array.from({ length: 100 }, (_, i) => [`C-1-${(i % 50) + 1}`, `C-2-${(i % 50) + 1}`]);
  await measure(
    warm,
    8,
    0,
    100,
    op.hold('warm', 8, (index) => ({ seatIds: warmPairs[index] ?? [] })),
  );
  await measure(warm, 8, 0, 100, op.release('warm', 8));
  await measure(warm, 8, 0, 100, op.floorHold(0, warmPairs));
  await measure(warm, 8, 0, 100, op.floorRelease(0));

  const holds: HoldRow[] = [];
  for (const { concurrency, ops } of levels) {
    // Each level starts from a clean table, as autovacuum would keep it, for the floor and the holds alike.
    await pool.query('vacuum seats');
    // Explicit picks spread over sections B and C; best-available buyers crowd the front of HOT.
    const seats = shuffled(setup.seatIds.filter((seatId) => !seatId.startsWith('HOT-')));
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
      await measure(t.floorHold, concurrency, from, to, op.floorHold(concurrency, pairs));
      await measure(
        t.explicitHold,
        concurrency,
        from,
        to,
        op.hold('x', concurrency, (i) => ({ seatIds: pairs[i] ?? [] })),
      );
      await measure(
        t.bestHold,
        concurrency,
        from,
        to,
        op.hold('b', concurrency, () => ({ section: 'HOT', quantity: seatsPerHold })),
      );
      await measure(t.floorRelease, concurrency, from, to, op.floorRelease(concurrency));
      await measure(t.explicitRelease, concurrency, from, to, op.release('x', concurrency));
      await measure(t.bestRelease, concurrency, from, to, op.release('b', concurrency));
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
  return holds;
}
