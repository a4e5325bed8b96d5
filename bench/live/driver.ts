// Owns the live benchmark's seat changes: holds and releases at a fixed rate (open loop) through the code
// the checkout runs (holdSeatsTx / releaseSeatsTx in their own transactions, then the seat map's
// write-through), each stamped at its Postgres commit, so fan-out latency runs from the commit to the
// client. One seat's transitions are strictly in turn (a seat is released only after its hold).
import { randomUUID } from 'node:crypto';
import { now } from '../../scripts/lib/sse-client';
import type { SeatMap } from '../../src/inventory/seat-map';
import { holdSeatsTx, releaseSeatsTx } from '../../src/inventory/seats';
import type { Pool } from '../../src/platform/db';

export interface Commits {
  /** Per seat, the commit time of each of its transitions, in order (hold, release, hold, ...). */
  bySeat: Record<string, number[]>;
  transitions: number;
  /** Milliseconds from the first tick to the last commit. */
  windowMs: number;
  /** Transitions that failed (none expected), with the first error. */
  failures: number;
  firstError?: string;
}

export interface DriveOptions {
  pool: Pool;
  seatMap: Pick<SeatMap, 'applyChanges'>;
  eventId: string;
  seatIds: string[];
  /** Transitions per second. */
  rate: number;
  transitions: number;
  /** Holds kept open at once: beyond them, the oldest hold is released first. */
  openHolds?: number;
}

/** Drives `transitions` seat transitions at `rate` per second; resolves when the last one committed. */
export async function driveTransitions(options: DriveOptions): Promise<Commits> {
  const { pool, seatMap, eventId, rate } = options;
  const openHolds = options.openHolds ?? 10;
  const free = [...options.seatIds];
  const held: { reservationId: string; seatId: string }[] = [];
  const commits: Commits = { bySeat: {}, transitions: 0, windowMs: 0, failures: 0 };
  const stamp = (seatId: string, at: number) => {
    const list = commits.bySeat[seatId] ?? [];
    list.push(at);
    commits.bySeat[seatId] = list;
  };

  async function step(): Promise<void> {
    const release = held.length >= openHolds || free.length === 0 ? held.shift() : undefined;
    if (release) {
      const { changes } = await releaseSeatsTx(pool, { ...release, reason: 'bench', actor: 'bench' });
      stamp(release.seatId, now());
      await seatMap.applyChanges(changes);
      free.push(release.seatId);
      return;
    }
    const seatId = free.shift() as string;
    const hold = { reservationId: `rsv_bench_${randomUUID()}`, seatId };
    const { changes } = await holdSeatsTx(pool, {
      reservationId: hold.reservationId,
      buyerId: `bench-${hold.reservationId}`,
      eventId,
      request: { seatIds: [seatId] },
    });
    stamp(seatId, now());
    held.push(hold);
    await seatMap.applyChanges(changes);
  }

  // Steps run one after another (a seat's release must follow its hold), each started on its tick.
  const started = now();
  const intervalMs = 1000 / rate;
  for (let i = 0; i < options.transitions; i++) {
    const due = started + i * intervalMs;
    const wait = due - now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    try {
      await step();
      commits.transitions += 1;
    } catch (error) {
      commits.failures += 1;
      commits.firstError ??= (error as Error).message;
    }
  }
  commits.windowMs = Math.round(now() - started);
  return commits;
}
