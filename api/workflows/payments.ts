// Owns the API's side of a payment outcome that arrives by webhook: tell the reservation's workflow
// while it runs, or start the late-payment workflow that settles a charge for a reservation that has ended.
import type { Client } from '@temporalio/client';
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
  return {
    /** Hands the outcome to the workflow that needs it; says what was done. */
    async deliver(reservationId: string, outcome: PaymentOutcome): Promise<Delivery> {
      const handle = temporal.workflow.getHandle<ReservationWorkflow>(reservationId);
      const description = await unlessMissing(handle.describe());
      if (description?.status.name === 'RUNNING') {
        await handle.signal(paymentOutcomeSignal, outcome);
        return { outcome: 'signalled', detail: `signalled ${reservationId}` };
      }
      if (outcome.status !== 'succeeded') {
        return { outcome: 'ignored', detail: 'ignored: the reservation has ended and nothing was charged' };
      }
      await temporal.workflow.start<LatePaymentWorkflow>(latePaymentWorkflowType, {
        workflowId: latePaymentWorkflowId(outcome.paymentIntentId),
        taskQueue: config.temporal.taskQueue,
        args: [
          {
            reservationId,
            paymentIntentId: outcome.paymentIntentId,
            paymentTaskQueue: config.temporal.paymentTaskQueue,
          },
        ],
        workflowIdConflictPolicy: 'USE_EXISTING',
        typedSearchAttributes: [{ key: PaymentIntentId, value: outcome.paymentIntentId }],
        staticSummary: `Late payment ${outcome.paymentIntentId} for ${reservationId}: sell the seats again or refund`,
      });
      return { outcome: 'late_payment', detail: `late payment workflow for ${reservationId}` };
    },
  };
}

export type Payments = ReturnType<typeof createPayments>;
