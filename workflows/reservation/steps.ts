// Owns the reservation saga's activity stubs: one proxy per step, each with the summary that names the
// step in the Temporal UI, on the queue and retry preset the step needs.
import { patched, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { InventoryActivities } from '../../activities/inventory';
import type { OrderActivities } from '../../activities/orders';
import type { AttemptCheck, AttemptCheckInput, PaymentActivities } from '../../activities/payments';
import { gatewayCall, inventoryStep, mustComplete } from '../activity-options';

/**
 * Histories recorded before the attempt check was named `checkPaymentAttempt` schedule it as
 * `reconcilePayment`; the worker registers both until those histories are gone.
 */
const attemptCheckRenamed = 'check-payment-attempt-name';

export function createSteps(paymentTaskQueue: string) {
  const { holdSeats } = proxyLocalActivities<InventoryActivities>({
    ...inventoryStep,
    summary: 'hold seats',
  });
  const { recordReservation } = proxyLocalActivities<OrderActivities>({
    ...inventoryStep,
    summary: 'record reservation',
  });
  const { releaseSeats } = proxyActivities<InventoryActivities>({
    ...mustComplete,
    summary: 'release seats',
  });
  const { extendHold } = proxyActivities<InventoryActivities>({ ...mustComplete, summary: 'extend hold' });
  const { completeSale } = proxyActivities<OrderActivities>({
    ...mustComplete,
    summary: 'commit seats, create order',
  });
  const gateway = proxyActivities<PaymentActivities>(gatewayCall(paymentTaskQueue));
  const { refundPayment } = proxyActivities<PaymentActivities>({
    ...mustComplete,
    taskQueue: paymentTaskQueue,
    summary: 'refund the charge',
  });
  const { verifyPayment } = proxyActivities<PaymentActivities>({
    ...gatewayCall(paymentTaskQueue),
    summary: 'verify payment with Stripe',
  });
  const { checkPaymentAttempt, reconcilePayment } = proxyActivities<PaymentActivities>({
    ...gatewayCall(paymentTaskQueue),
    summary: 'check payment attempt with Stripe',
  });

  return {
    holdSeats,
    recordReservation,
    releaseSeats,
    extendHold,
    completeSale,
    refundPayment,
    verifyPayment,
    /** One charge attempt; the caller names the attempt in its summary. */
    chargePayment: gateway.chargePayment,
    /** Asks Stripe what became of an attempt whose answer the workflow did not get. */
    checkPaymentAttempt(input: AttemptCheckInput): Promise<AttemptCheck> {
      return patched(attemptCheckRenamed) ? checkPaymentAttempt(input) : reconcilePayment(input);
    },
  };
}

export type Steps = ReturnType<typeof createSteps>;
