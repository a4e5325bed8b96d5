// Owns what happens to money that arrives after its reservation ended (a late webhook after expiry,
// cancel or force-release): the seats are held again and sold if they are still free, otherwise the
// charge is refunded. Never kept silently; both paths leave seat_events, order or refund rows.
import { log, patched, proxyActivities, sleep } from '@temporalio/workflow';
import type { InventoryActivities } from '../../activities/inventory';
import type { OrderActivities } from '../../activities/orders';
import type { PaymentActivities } from '../../activities/payments';
import type { WorkflowStatusActivities } from '../../activities/workflow-status';
import { gatewayCall, inventoryStep, mustComplete, step } from '../activity-options';
import { businessFailure, domainCodeOf } from '../failures';
import { orderIdFor } from '../reservation/contract';
import type { LatePaymentInput, LatePaymentOutcome } from './contract';

/** Settles one late charge for a reservation; callable from any workflow. */
export async function settleLatePayment(
  input: LatePaymentInput,
  context: { alreadySoldWith?: string } = {},
): Promise<LatePaymentOutcome> {
  const { loadReservation } = proxyActivities<OrderActivities>(step(mustComplete, 'load reservation'));
  const { completeSale } = proxyActivities<OrderActivities>(step(mustComplete, 'commit seats, create order'));
  const { holdSeats } = proxyActivities<InventoryActivities>(step(inventoryStep, 'hold the seats again'));
  const { refundPayment } = proxyActivities<PaymentActivities>(
    step({ ...mustComplete, taskQueue: input.paymentTaskQueue }, 'refund the late charge'),
  );
  const gateway = proxyActivities<PaymentActivities>(
    step(gatewayCall(input.paymentTaskQueue), 'verify payment with Stripe'),
  );

  const reservation = await loadReservation({ reservationId: input.reservationId });
  if (!reservation) {
    throw businessFailure(
      'RESERVATION_NOT_FOUND',
      `no reservation ${input.reservationId} for late payment ${input.paymentIntentId}`,
    );
  }
  const refund = (reason: string) =>
    refundPayment({
      refundId: `late-${input.paymentIntentId}`,
      reservationId: reservation.id,
      paymentIntentId: input.paymentIntentId,
      amount: reservation.amount,
      currency: reservation.currency,
      reason,
      actor: 'system',
    });

  const soldWith = context.alreadySoldWith ?? reservation.order?.paymentIntentId;
  if (soldWith === input.paymentIntentId) return 'already-sold';
  try {
    await gateway.verifyPayment({
      paymentIntentId: input.paymentIntentId,
      amount: reservation.amount,
      currency: reservation.currency,
      reservationId: reservation.id,
    });
  } catch (error) {
    if (domainCodeOf(error) !== 'PAYMENT_NOT_VERIFIED') throw error;
    log.warn('late payment not verified; nothing to settle', { paymentIntentId: input.paymentIntentId });
    return 'not-verified';
  }
  if (soldWith) {
    // The reservation was already paid with another charge: this one is a double charge.
    await refund('second charge for a reservation that was already paid');
    return 'refunded-duplicate';
  }

  try {
    await holdSeats({
      reservationId: reservation.id,
      buyerId: reservation.buyerId,
      eventId: reservation.eventId,
      request: { seatIds: reservation.seatIds },
    });
  } catch (error) {
    if (!domainCodeOf(error)) throw error;
    await refund('paid after the reservation ended and its seats were taken');
    return 'refunded';
  }
  try {
    await completeSale({
      reservationId: reservation.id,
      orderId: orderIdFor(reservation.id),
      eventId: reservation.eventId,
      buyerId: reservation.buyerId,
      paymentIntentId: input.paymentIntentId,
      amount: reservation.amount,
      currency: reservation.currency,
      seatIds: reservation.seatIds,
      actor: 'late-payment',
    });
  } catch (error) {
    if (domainCodeOf(error) !== 'SEATS_NOT_HELD') throw error;
    await refund('paid after the reservation ended; the seats could not be committed');
    return 'refunded';
  }
  return 'sold';
}

/**
 * Since this patch the workflow is also started (delayed) for a charge signalled to a running
 * reservation: it first waits for that workflow to end, so a Terminate after the signal was accepted
 * cannot keep the money silently.
 */
export const waitsForReservationPatch = 'late-payment-waits-for-reservation';

/** How often a reservation that still runs is looked at again. */
const recheckInterval = '10s';

/** Returns once the reservation's workflow can no longer act on a payment it was told of. */
async function untilReservationEnded(reservationId: string): Promise<void> {
  const { reservationWorkflowState } = proxyActivities<WorkflowStatusActivities>(
    step(mustComplete, 'is the reservation workflow still running?'),
  );
  while ((await reservationWorkflowState({ reservationId })) === 'running') {
    await sleep(recheckInterval);
  }
}

/**
 * Started by the webhook endpoint for a succeeded charge: at once when the reservation's workflow has
 * ended, and after a delay as a safety net when the workflow was signalled (an operator's Terminate
 * may end it before it settles). Settling is idempotent: a charge the workflow sold or refunded is
 * left alone.
 */
export async function latePaymentWorkflow(input: LatePaymentInput): Promise<LatePaymentOutcome> {
  if (patched(waitsForReservationPatch)) await untilReservationEnded(input.reservationId);
  return settleLatePayment(input);
}
