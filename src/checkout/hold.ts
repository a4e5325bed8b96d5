// Owns the hold a checkout takes before its workflow starts: the seats held in Postgres (the hold
// function's own transaction), then the reservation recorded HELD, so a buyer's answer never queues
// behind other workflows' tasks. The workflow started next owns the hold's lifetime (timer, release, payment); until
// it runs, the seats' lease (invariant 5) is the backstop. Losing holds start no workflow at all.
import { type HeldSeats, type ReservationView, terminalStatuses } from '../../workflows/reservation/contract';
import type { LeaseOptions } from '../inventory/lease';
import type { SeatMap } from '../inventory/seat-map';
import { type HoldInput, type HoldResult, holdSeatsTx } from '../inventory/seats';
import type { Pool } from '../platform/db';
import { findReservation, type ReservationRow, upsertReservation } from './orders';

/**
 * What taking the hold found: `new`, the seats are held now; `recorded`, the reservation was recorded
 * before (a retried POST), so its row, its workflow, or its final state is the answer.
 */
export type HoldTaken =
  | { kind: 'new'; hold: HoldResult }
  | { kind: 'recorded'; ended: boolean; row: ReservationRow };

export interface CheckoutHolds {
  /**
   * Holds the seats of a new reservation, recorded with the request's fingerprint; rejections
   * (SEATS_UNAVAILABLE, ...) are DomainErrors.
   */
  take(input: HoldInput, requestFingerprint: string): Promise<HoldTaken>;
  /** The hold again, for a recorded reservation whose workflow never started: the seats it still holds. */
  resume(input: HoldInput): Promise<HoldResult>;
}

/** The reservation as it stands once held: recorded for readers, and the hold's answer to the buyer. */
export function heldView(
  input: Pick<HoldInput, 'reservationId' | 'eventId' | 'buyerId'>,
  hold: HeldSeats,
): ReservationView {
  return {
    id: input.reservationId,
    eventId: input.eventId,
    buyerId: input.buyerId,
    status: 'HELD',
    seats: hold.seats,
    amount: hold.amount,
    currency: hold.currency,
    expiresAt: hold.heldUntil,
  };
}

export function createCheckoutHolds(deps: {
  pool: Pool;
  seatMap: SeatMap;
  lease?: LeaseOptions;
}): CheckoutHolds {
  /** The hold function's own transaction (retried on deadlock); a repeat returns the seats already held. */
  async function hold(input: HoldInput): Promise<HoldResult> {
    const { changes, repeat: _repeat, ...held } = await holdSeatsTx(deps.pool, input, deps.lease);
    await deps.seatMap.applyChanges(changes);
    return held;
  }

  return {
    async take(input, requestFingerprint) {
      // A recorded reservation is never held again here: it may have ended and given its seats back.
      const row = await findReservation(deps.pool, input.reservationId);
      if (row) {
        const ended = (terminalStatuses as readonly string[]).includes(row.status);
        return { kind: 'recorded', ended, row };
      }
      const held = await hold(input);
      // Crashing before this line leaves no record: a retry holds again (a repeat) and records it.
      await upsertReservation(deps.pool, { ...heldView(input, held), requestFingerprint });
      return { kind: 'new', hold: held };
    },
    resume: hold,
  };
}
