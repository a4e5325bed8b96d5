// Owns the hold's lease (DESIGN.md, invariant 5): every held seat carries held_until, kept in step with
// its workflow's deadline, and a seat whose lease lapsed more than the grace ago is available wherever
// seats are read, because the workflow that should release it is gone. Here: the rule, moving a
// reservation's lease, and reading it back.
import { DomainError } from '../errors';
import { defaultHoldGraceSeconds } from '../platform/config';
import type { Queryable } from '../platform/db';
import type { SeatChange, SeatStatus } from './seats';

export interface LeaseOptions {
  /** Seconds past held_until before a held seat is available (HOLD_GRACE_SECONDS). */
  graceSeconds?: number;
}

export function graceOf(options: LeaseOptions = {}): number {
  return options.graceSeconds ?? defaultHoldGraceSeconds;
}

/** Whether a lease that ends at `heldUntilMs` has lapsed beyond the grace at `nowMs`. */
export function leaseLapsed(
  heldUntilMs: number | null | undefined,
  graceSeconds: number,
  nowMs = Date.now(),
): boolean {
  return heldUntilMs != null && heldUntilMs < nowMs - graceSeconds * 1000;
}

/** What a reader should show for a seat: a held seat whose lease lapsed is available. */
export function statusShown(
  status: SeatStatus,
  heldUntilMs: number | null | undefined,
  graceSeconds: number,
  nowMs = Date.now(),
): SeatStatus {
  return status === 'held' && leaseLapsed(heldUntilMs, graceSeconds, nowMs) ? 'available' : status;
}

export interface MoveLeaseInput {
  reservationId: string;
  /** The workflow's deadline: the hold's end, support's extension, or the payment window's end. */
  heldUntil: string;
}

/**
 * Sets held_until of a reservation's held seats to its workflow's deadline (later or earlier). A lease
 * that already lapsed beyond the grace is not revived: those seats are on sale, and only a new hold may
 * take them. Each moved seat gets a new version, so the seat map learns its lease.
 */
export async function moveLeaseTx(
  q: Queryable,
  input: MoveLeaseInput,
  options: LeaseOptions = {},
): Promise<{ seatIds: string[]; changes: SeatChange[] }> {
  const heldUntil = new Date(input.heldUntil);
  if (Number.isNaN(heldUntil.getTime())) {
    throw new DomainError('VALIDATION_FAILED', 'heldUntil must be an ISO 8601 time', {
      errors: [{ path: 'heldUntil', message: 'must be an ISO 8601 time' }],
    });
  }
  const { rows } = await q.query<{
    event_id: string;
    seat_id: string;
    section_id: string;
    version: number;
    held_until: Date;
  }>({
    name: 'inventory.lease.move',
    text: `update seats
        set held_until = $2, version = version + 1
      where reservation_id = $1 and status = 'held'
        and held_until >= now() - make_interval(secs => $3)
     returning event_id, seat_id, section_id, version, held_until`,
    values: [input.reservationId, heldUntil, graceOf(options)],
  });
  const changes: SeatChange[] = rows
    .map((row) => ({
      eventId: row.event_id,
      seatId: row.seat_id,
      section: row.section_id,
      status: 'held' as const,
      version: row.version,
      heldUntil: row.held_until.getTime(),
    }))
    .sort((a, b) => (a.seatId < b.seatId ? -1 : a.seatId > b.seatId ? 1 : 0));
  return { seatIds: changes.map((change) => change.seatId), changes };
}

/** A reservation's lease as Postgres has it: how many seats it still holds, and until when. */
export interface ReservationLease {
  heldSeats: number;
  /** The latest held_until of its held seats; null when it holds none. */
  heldUntil: string | null;
  /** When those seats are back on sale if nothing releases them: heldUntil plus the grace. */
  availableAt: string | null;
}

export async function leaseOf(
  q: Queryable,
  reservationId: string,
  options: LeaseOptions = {},
): Promise<ReservationLease> {
  const { rows } = await q.query<{ held: number; held_until: Date | null }>(
    `select count(*)::int as held, max(held_until) as held_until
       from seats where reservation_id = $1 and status = 'held'`,
    [reservationId],
  );
  const heldUntil = rows[0]?.held_until ?? null;
  return {
    heldSeats: rows[0]?.held ?? 0,
    heldUntil: heldUntil ? heldUntil.toISOString() : null,
    availableAt: heldUntil ? new Date(heldUntil.getTime() + graceOf(options) * 1000).toISOString() : null,
  };
}
