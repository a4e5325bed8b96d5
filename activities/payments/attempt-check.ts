// Owns the check of one charge attempt with the gateway, after a timeout or a lost answer: learns what the
// attempt's own request did by replaying it (same idempotency key, same parameters), cancels its
// PaymentIntent unless it succeeded, records the outcome and returns what the gateway says. "Not
// charged" is answered only once the attempt's request can no longer charge; while it is still in
// progress the check fails and is retried.
import Stripe from 'stripe';
import { findReservation } from '../../src/checkout/orders';
import * as payments from '../../src/payments/payments';
import { chargeIdempotencyKey, chargeParams } from './charge';
import {
  isInProgress,
  isStoredServerError,
  isUnexpectedState,
  type PaymentActivityDeps,
  retrieveIntent,
} from './gateway';

export interface AttemptCheckInput {
  reservationId: string;
  attempt: number;
}

export interface AttemptCheck {
  status: 'succeeded' | 'failed' | 'not_found';
  paymentIntentId?: string;
}

/** The check can't decide yet: the attempt may still charge. A plain error, so Temporal retries the check. */
class AttemptUndecided extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AttemptUndecided';
  }
}

export function createAttemptCheckActivity({ pool, stripe, log }: PaymentActivityDeps) {
  return {
    checkPaymentAttempt,
    /** The same activity under the name histories recorded before the rename schedule; see workflows/reservation/steps.ts. */
    reconcilePayment: checkPaymentAttempt,
  };

  /**
   * Finds out what really happened to an attempt (after a timeout or a lost answer): the attempt's
   * PaymentIntent, canceled unless it succeeded; the outcome recorded; the gateway's truth returned.
   */
  async function checkPaymentAttempt(input: AttemptCheckInput): Promise<AttemptCheck> {
    const idempotencyKey = chargeIdempotencyKey(input.reservationId, input.attempt);
    const row = await payments.findPaymentByKey(pool, idempotencyKey);
    // The row is written before any call, and the workflow waits for the charge activity to end before
    // checking, so without it the gateway never heard of this attempt and never will.
    if (!row) return { status: 'not_found' };

    const found = row.paymentIntentId
      ? await retrieveIntent(stripe, row.paymentIntentId)
      : await replayAttempt(row);
    if (!found) {
      await payments.recordPaymentResult(pool, idempotencyKey, {
        status: 'FAILED',
        errorCode: 'not_found',
        errorMessage: "the attempt's request created no PaymentIntent at the gateway",
      });
      return { status: 'not_found' };
    }
    const intent = await cancelUnlessSucceeded(stripe, found);
    await payments.recordPaymentResult(pool, idempotencyKey, {
      status: payments.auditStatusOf(intent.status),
      paymentIntentId: intent.id,
      errorCode: intent.status === 'succeeded' ? null : `reconciled_${intent.status}`,
      errorMessage:
        intent.status === 'succeeded' ? null : `reconciliation found the PaymentIntent ${intent.status}`,
    });
    log.info(
      { ...input, paymentIntentId: intent.id, status: intent.status },
      'charge attempt checked with the gateway',
    );
    const status = attemptStatus(intent.status);
    if (!status) {
      throw new AttemptUndecided(
        `PaymentIntent ${intent.id} is ${intent.status} and could not be canceled; checking again`,
      );
    }
    return { status, paymentIntentId: intent.id };
  }

  /**
   * The attempt's PaymentIntent, learned by sending the attempt's own request again: Stripe answers
   * with the key's stored result (or executes it now, for the only time), so afterwards the original
   * request can do nothing else. Undefined when the request was refused without a PaymentIntent.
   */
  async function replayAttempt(row: payments.PaymentRow): Promise<Stripe.PaymentIntent | undefined> {
    const reservation = await findReservation(pool, row.reservationId);
    if (!reservation)
      throw new Error(`no reservation ${row.reservationId} for payment ${row.idempotencyKey}`);
    const params = chargeParams({
      reservationId: row.reservationId,
      attempt: row.attempt,
      paymentMethodId: row.paymentMethodId,
      amount: row.amount,
      currency: row.currency,
      buyerId: reservation.buyerId,
      eventId: reservation.eventId,
    });
    try {
      return await stripe.paymentIntents.create(params, { idempotencyKey: row.idempotencyKey });
    } catch (error) {
      if (error instanceof Stripe.errors.StripeCardError) {
        return error.payment_intent ?? (await searchAttemptIntent(row));
      }
      if (isInProgress(error) || error instanceof Stripe.errors.StripeIdempotencyError) {
        // The request still runs at the gateway (or, parameters drifting, the key can't be replayed).
        // Canceling the PaymentIntent it made settles it now; without one (not created yet, or not yet
        // searchable) nothing can be said: check again later.
        const intent = await searchAttemptIntent(row);
        if (intent) return intent;
        throw new AttemptUndecided(
          `the gateway can't tell yet what attempt ${row.attempt} did: ${error.message}`,
        );
      }
      // A server error kept as the key's answer: the request is over, whatever it made is searchable.
      if (isStoredServerError(error)) return searchAttemptIntent(row);
      // Refused as invalid (no such payment method, say): nothing was charged, nothing will be.
      if (error instanceof Stripe.errors.StripeInvalidRequestError) return searchAttemptIntent(row);
      throw error;
    }
  }

  /** The attempt's PaymentIntent by its metadata (Stripe's search; the checkout sets both fields). */
  async function searchAttemptIntent(row: payments.PaymentRow): Promise<Stripe.PaymentIntent | undefined> {
    const { data } = await stripe.paymentIntents.search({
      query: `metadata['reservationId']:'${row.reservationId}' AND metadata['attempt']:'${row.attempt}'`,
      limit: 1,
    });
    return data[0];
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

/** What a PaymentIntent's status decides for the attempt; undefined while it may still succeed. */
function attemptStatus(status: Stripe.PaymentIntent.Status): AttemptCheck['status'] | undefined {
  if (status === 'succeeded') return 'succeeded';
  if (status === 'canceled' || status === 'requires_payment_method') return 'failed';
  return undefined;
}
