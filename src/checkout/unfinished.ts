// Owns what a reservation says when its workflow stopped before the saga finished (terminated, timed
// out, or cancelled or failed under code older than the saga's own compensation) or Temporal no longer
// has it: its last state would claim HELD or PAYING for ever, so the answer is a terminal status with why,
// and when its seats return to sale (the lease, DESIGN.md invariant 5).

import type { ReservationView } from '../../workflows/reservation/contract';
import type { ReservationLease } from '../inventory/lease';

/** How the workflow ended without finishing; GONE: Temporal has no such workflow any more. */
export type UnfinishedEnd = 'TERMINATED' | 'CANCELLED' | 'FAILED' | 'TIMED_OUT' | 'GONE';

const endedHow: Record<UnfinishedEnd, string> = {
  TERMINATED: 'was terminated',
  CANCELLED: 'was cancelled',
  FAILED: 'failed',
  TIMED_OUT: 'timed out',
  GONE: 'was lost',
};

/** The view of a reservation whose workflow ended as `end` while the reservation was `view.status`. */
export function unfinishedView(
  view: ReservationView,
  end: UnfinishedEnd,
  lease: ReservationLease,
  nowMs = Date.now(),
): ReservationView {
  const seats =
    lease.heldSeats === 0 || lease.availableAt === null
      ? 'its seats are back on sale'
      : Date.parse(lease.availableAt) <= nowMs
        ? `its seats are back on sale since their lease lapsed at ${lease.availableAt}`
        : `its seats return to sale when their lease lapses at ${lease.availableAt}`;
  // A payment may have gone through with nobody left to sell or refund it: support must look.
  const payment =
    view.status === 'PAYING' ? '; a payment was in progress: support checks it with Stripe' : '';
  return {
    ...view,
    status: end === 'CANCELLED' ? 'CANCELLED' : 'FAILED',
    reason: `the checkout ${endedHow[end]} before it finished; ${seats}${payment}`,
  };
}
