// Owns the late-payment workflow's contract, shared by the API (webhooks) and the worker: its type name,
// the workflow id per PaymentIntent, input and outcome. Pure: no I/O.

export const latePaymentWorkflowType = 'latePaymentWorkflow';

/** One settlement per PaymentIntent, however often Stripe delivers its webhook. */
export function latePaymentWorkflowId(paymentIntentId: string): string {
  return `late-payment-${paymentIntentId}`;
}

export interface LatePaymentInput {
  reservationId: string;
  paymentIntentId: string;
  /** The payment queue (gateway calls are rate limited there). */
  paymentTaskQueue: string;
}

export type LatePaymentOutcome = 'already-sold' | 'sold' | 'refunded' | 'refunded-duplicate' | 'not-verified';

/** The workflow's signature, for typed client handles without importing workflow code. */
export type LatePaymentWorkflow = (input: LatePaymentInput) => Promise<LatePaymentOutcome>;
