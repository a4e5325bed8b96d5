// Owns the API's side of a payment outcome that arrives by webhook: tell the reservation's workflow
// while it runs, or start the late-payment workflow that settles a charge for a reservation that has ended.
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { Config } from '../../src/platform/config';
import {
  type LatePaymentWorkflow,
  latePaymentWorkflowId,
  latePaymentWorkflowType,
} from '../../workflows/late-payment/contract';
import {
  type PaymentOutcome,
  paymentOutcomeSignal,
  type ReservationWorkflow,
} from '../../workflows/reservation/contract';
import { PaymentIntentId } from '../../workflows/search-attributes';
import { unlessMissing } from './temporal-errors';

/** What a delivery did: `outcome` for the metrics, `detail` for the webhook's answer and log. */
export interface Delivery {
  outcome: 'signalled' | 'late_payment' | 'ignored';
  detail: string;
}

export function createPayments({ temporal, config }: { temporal: Client; config: Config }) {
  // The safety net wakes after the grace a lapsed lease gets: by then a healthy workflow has settled.
  const safetyNetDelay = config.holdGraceSeconds * 1000;

  async function startLatePayment(reservationId: string, paymentIntentId: string, startDelay?: number) {
    await temporal.workflow.start<LatePaymentWorkflow>(latePaymentWorkflowType, {
      workflowId: latePaymentWorkflowId(paymentIntentId),
      taskQueue: config.temporal.taskQueue,
      args: [{ reservationId, paymentIntentId, paymentTaskQueue: config.temporal.paymentTaskQueue }],
      workflowIdConflictPolicy: 'USE_EXISTING',
      ...(startDelay !== undefined && { startDelay }),
      typedSearchAttributes: [{ key: PaymentIntentId, value: paymentIntentId }],
      staticSummary:
        startDelay === undefined
          ? `Late payment ${paymentIntentId} for ${reservationId}: sell the seats again or refund`
          : `Safety net for payment ${paymentIntentId} of ${reservationId}: settles it if the reservation ends without doing so`,
    });
  }

  /** Signals a running reservation; false when it ended since it was described. */
  async function signalled(handle: WorkflowHandle<ReservationWorkflow>, outcome: PaymentOutcome) {
    return (await unlessMissing(handle.signal(paymentOutcomeSignal, outcome).then(() => true))) ?? false;
  }

  return {
    /** Hands the outcome to the workflow that needs it; says what was done. */
    async deliver(reservationId: string, outcome: PaymentOutcome): Promise<Delivery> {
      const handle = temporal.workflow.getHandle<ReservationWorkflow>(reservationId);
      const description = await unlessMissing(handle.describe());
      const running = description?.status.name === 'RUNNING';
      if (outcome.status !== 'succeeded') {
        if (!running) {
          return { outcome: 'ignored', detail: 'ignored: the reservation has ended and nothing was charged' };
        }
        return (await signalled(handle, outcome))
          ? { outcome: 'signalled', detail: `signalled ${reservationId}` }
          : { outcome: 'ignored', detail: 'ignored: the reservation ended and nothing was charged' };
      }
      // Money was taken. Once this webhook is answered Stripe never sends it again, so the charge gets a
      // late-payment workflow either way: at once when the reservation has ended, or as a delayed safety
      // net while it runs (it waits for the reservation to end and leaves a settled charge alone), since an
      // operator's Terminate can end a workflow after it accepted the signal and before it sold the seats.
      await startLatePayment(reservationId, outcome.paymentIntentId, running ? safetyNetDelay : undefined);
      if (!running) return { outcome: 'late_payment', detail: `late payment workflow for ${reservationId}` };
      return (await signalled(handle, outcome))
        ? { outcome: 'signalled', detail: `signalled ${reservationId}; late payment safety net set` }
        : {
            outcome: 'late_payment',
            detail: `late payment workflow for ${reservationId} (it ended meanwhile)`,
          };
    },
  };
}

export type Payments = ReturnType<typeof createPayments>;
