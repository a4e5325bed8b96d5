// Owns the refund workflow's Postgres steps on the main queue: reserve the refund against the order
// (checked again under the order's row lock, for races with another refund) and apply the refund the
// gateway accepted to the order, its tickets and seats, writing the seat map through after commit.
// The gateway call itself is the payment queue's refundPayment.

import type { SeatMap } from '../src/inventory/seat-map';
import { type Pool, withTransaction } from '../src/platform/db';
import type { Logger } from '../src/platform/logger';
import {
  type ApplyRefundInput,
  applyRefundTx,
  type ReserveRefundInput,
  reserveRefundTx,
} from '../src/refunds/order-refunds';
import type { AppliedRefund, PreparedRefund } from '../workflows/refund/contract';
import { withDomainFailures } from './failures';
import { refundIdempotencyKey } from './payments';

/**
 * Builds the refund bookkeeping activities.
 *
 * @example
 * const { reserveRefund, applyRefund } = createRefundActivities({ pool, seatMap, log });
 */
export function createRefundActivities(deps: { pool: Pool; seatMap: SeatMap; log: Logger }) {
  return withDomainFailures({
    /**
     * Checks the order can take this refund and writes its refunds row REQUESTED (idempotent per refund
     * id). Rejections: ORDER_NOT_FOUND, ALREADY_REFUNDED, REFUND_EXCEEDS_PAYMENT; nothing is written then.
     */
    async reserveRefund(input: Omit<ReserveRefundInput, 'idempotencyKey'>): Promise<PreparedRefund> {
      const { refund, eventId, buyerId } = await withTransaction(deps.pool, (client) =>
        reserveRefundTx(client, { ...input, idempotencyKey: refundIdempotencyKey(input.refundId) }),
      );
      return {
        orderId: input.orderId,
        reservationId: refund.reservationId,
        eventId,
        buyerId,
        paymentIntentId: refund.paymentIntentId,
        amount: refund.amount,
        currency: refund.currency.trim(),
      };
    },

    /** Applies an accepted refund to the order (status, refunded total, void tickets, seats back to sale). */
    async applyRefund(input: ApplyRefundInput): Promise<AppliedRefund> {
      const { changes, eventId, ...applied } = await withTransaction(deps.pool, (client) =>
        applyRefundTx(client, input),
      );
      await deps.seatMap.applyChanges(changes);
      // Seats a refund leaves sold (the event's policy, a partial refund) publish no transition.
      await deps.seatMap.announceSales(eventId);
      deps.log.info({ ...input, ...applied }, 'refund applied to order');
      return applied;
    },
  });
}

export type RefundActivities = ReturnType<typeof createRefundActivities>;
