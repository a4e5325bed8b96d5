// Owns the check of one charge attempt with the gateway, after a timeout or a lost answer: finds the
// attempt's PaymentIntent, cancels it unless it succeeded, records the outcome and returns what the
// gateway says, so the workflow decides "charged" or "not charged" from the gateway's truth.
import type Stripe from 'stripe';
import * as payments from '../../src/payments/payments';
import { chargeIdempotencyKey } from './charge';
import { isUnexpectedState, type PaymentActivityDeps, retrieveIntent } from './gateway';

export interface AttemptCheckInput {
  reservationId: string;
  attempt: number;
}

export interface AttemptCheck {
  status: 'succeeded' | 'failed' | 'processing' | 'not_found';
  paymentIntentId?: string;
}

/**
 * How far before an attempt's audit row the check looks for its PaymentIntent, to absorb clock skew
 * between Postgres and the gateway.
 */
const lookbackSeconds = 300;

export function createAttemptCheckActivity({ pool, stripe, log }: PaymentActivityDeps) {
  return {
    checkPaymentAttempt,
    /** The same activity under the name histories recorded before the rename schedule; see workflows/reservation/steps.ts. */
    reconcilePayment: checkPaymentAttempt,
  };

  /**
   * Finds out what really happened to an attempt (after a timeout or a lost answer): looks up its
   * PaymentIntent, cancels it unless it succeeded, records the outcome and returns the gateway's truth.
   */
  async function checkPaymentAttempt(input: AttemptCheckInput): Promise<AttemptCheck> {
    const idempotencyKey = chargeIdempotencyKey(input.reservationId, input.attempt);
    const row = await payments.findPaymentByKey(pool, idempotencyKey);
    // The row is written before any call, so without it the gateway never heard of this attempt.
    if (!row) return { status: 'not_found' };

    const found = row.paymentIntentId
      ? await retrieveIntent(stripe, row.paymentIntentId)
      : await findAttemptIntent(row);
    if (!found) {
      await payments.recordPaymentResult(pool, idempotencyKey, {
        status: 'FAILED',
        errorCode: 'not_found',
        errorMessage: 'reconciliation found no PaymentIntent for this attempt at the gateway',
      });
      return { status: 'not_found' };
    }
    const intent = await cancelUnlessSucceeded(stripe, found);
    const status = attemptStatus(intent.status);
    await payments.recordPaymentResult(pool, idempotencyKey, {
      status: auditStatus(intent.status),
      paymentIntentId: intent.id,
      errorCode: status === 'succeeded' ? null : `reconciled_${intent.status}`,
      errorMessage: status === 'succeeded' ? null : `reconciliation found the PaymentIntent ${intent.status}`,
    });
    log.info(
      { ...input, paymentIntentId: intent.id, status: intent.status },
      'charge attempt checked with the gateway',
    );
    return { status, paymentIntentId: intent.id };
  }

  /** The attempt's PaymentIntent when its creation answer was lost: listed by time, matched by metadata. */
  async function findAttemptIntent(row: payments.PaymentRow): Promise<Stripe.PaymentIntent | undefined> {
    const since = Math.floor(row.createdAt.getTime() / 1000) - lookbackSeconds;
    for await (const intent of stripe.paymentIntents.list({ created: { gte: since }, limit: 100 })) {
      if (
        intent.metadata?.reservationId === row.reservationId &&
        intent.metadata?.attempt === String(row.attempt)
      ) {
        return intent;
      }
    }
    return undefined;
  }
}

/** Cancels a PaymentIntent that can still be canceled; if the gateway refuses, reads where it ended. */
export async function cancelUnlessSucceeded(
  stripe: Stripe,
  intent: Stripe.PaymentIntent,
): Promise<Stripe.PaymentIntent> {
  if (!cancelable(intent.status)) return intent;
  try {
    return await stripe.paymentIntents.cancel(intent.id, { cancellation_reason: 'abandoned' });
  } catch (error) {
    if (!isUnexpectedState(error)) throw error;
    return stripe.paymentIntents.retrieve(intent.id);
  }
}

function cancelable(status: Stripe.PaymentIntent.Status): boolean {
  return status !== 'succeeded' && status !== 'canceled';
}

function attemptStatus(status: Stripe.PaymentIntent.Status): AttemptCheck['status'] {
  if (status === 'succeeded') return 'succeeded';
  if (status === 'canceled' || status === 'requires_payment_method') return 'failed';
  return 'processing';
}

function auditStatus(status: Stripe.PaymentIntent.Status): payments.PaymentStatus {
  if (status === 'succeeded') return 'SUCCEEDED';
  if (status === 'canceled') return 'CANCELED';
  if (status === 'requires_payment_method') return 'FAILED';
  return 'PROCESSING';
}
