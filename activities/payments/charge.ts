// Owns the charge activity: one PaymentIntent per attempt, created and confirmed with the attempt's
// idempotency key, audited in Postgres before and after the call. A declined card is a typed,
// non-retryable rejection; network errors, 5xx, 409s and 429s stay plain errors for the retry policy.
import Stripe from 'stripe';
import { DomainError } from '../../src/errors';
import * as payments from '../../src/payments/payments';
import { declined, describe, errorCode, type PaymentActivityDeps, sameCurrency } from './gateway';

export interface ChargeInput {
  reservationId: string;
  /** 1-based; a second card after a decline is a new attempt with its own idempotency key. */
  attempt: number;
  paymentMethodId: string;
  /** Minor units. */
  amount: number;
  currency: string;
  buyerId: string;
  eventId: string;
}

export interface ChargeResult {
  status: 'succeeded' | 'requires_action' | 'processing';
  paymentIntentId: string;
}

/** The idempotency key of one charge attempt: stable across activity retries, new for another card. */
export function chargeIdempotencyKey(reservationId: string, attempt: number): string {
  return `${reservationId}:charge:${attempt}`;
}

export function createChargeActivity({ pool, stripe, log }: PaymentActivityDeps) {
  return { chargePayment };

  /** Creates and confirms the attempt's PaymentIntent; a replay of the same attempt never charges twice. */
  async function chargePayment(input: ChargeInput): Promise<ChargeResult> {
    const idempotencyKey = chargeIdempotencyKey(input.reservationId, input.attempt);
    const row = await payments.requestPayment(pool, {
      reservationId: input.reservationId,
      attempt: input.attempt,
      idempotencyKey,
      paymentMethodId: input.paymentMethodId,
      amount: input.amount,
      currency: input.currency,
    });
    if (
      row.amount !== input.amount ||
      !sameCurrency(row.currency, input.currency) ||
      row.paymentMethodId !== input.paymentMethodId
    ) {
      throw new DomainError(
        'IDEMPOTENCY_KEY_REUSED',
        `charge attempt ${input.attempt} of reservation ${input.reservationId} was already requested with other parameters`,
        { idempotencyKey },
      );
    }
    // A settled attempt is answered from the audit, so a retry can't charge again even after the
    // gateway has forgotten the idempotency key (Stripe keeps keys for 24 hours).
    if (row.status === 'SUCCEEDED' && row.paymentIntentId) {
      return { status: 'succeeded', paymentIntentId: row.paymentIntentId };
    }
    if (row.status === 'DECLINED') {
      throw declined(row.errorMessage ?? 'Your card was declined.', row.errorCode, row.paymentIntentId);
    }

    let intent: Stripe.PaymentIntent;
    try {
      intent = await stripe.paymentIntents.create(
        {
          amount: input.amount,
          currency: input.currency.toLowerCase(),
          payment_method: input.paymentMethodId,
          confirm: true,
          automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
          description: `Boxoffice reservation ${input.reservationId}`,
          metadata: {
            reservationId: input.reservationId,
            attempt: String(input.attempt),
            buyerId: input.buyerId,
            eventId: input.eventId,
          },
        },
        { idempotencyKey },
      );
    } catch (error) {
      throw await chargeFailed(idempotencyKey, error);
    }
    const result = await settleCharge(idempotencyKey, intent);
    log.info(
      {
        reservationId: input.reservationId,
        attempt: input.attempt,
        paymentIntentId: intent.id,
        status: intent.status,
      },
      'charge attempt answered',
    );
    return result;
  }

  async function settleCharge(idempotencyKey: string, intent: Stripe.PaymentIntent): Promise<ChargeResult> {
    switch (intent.status) {
      case 'succeeded':
        await payments.recordPaymentResult(pool, idempotencyKey, {
          status: 'SUCCEEDED',
          paymentIntentId: intent.id,
        });
        return { status: 'succeeded', paymentIntentId: intent.id };
      case 'processing':
      case 'requires_action':
        // The outcome arrives later (webhook), or reconciliation settles it when the payment window ends.
        await payments.recordPaymentResult(pool, idempotencyKey, {
          status: 'PROCESSING',
          paymentIntentId: intent.id,
        });
        return {
          status: intent.status === 'processing' ? 'processing' : 'requires_action',
          paymentIntentId: intent.id,
        };
      case 'requires_payment_method': {
        const error = intent.last_payment_error;
        const code = error?.decline_code ?? error?.code ?? null;
        const message = error?.message ?? 'The payment method was declined.';
        await payments.recordPaymentResult(pool, idempotencyKey, {
          status: 'DECLINED',
          paymentIntentId: intent.id,
          errorCode: code,
          errorMessage: message,
        });
        throw declined(message, code, intent.id);
      }
      default: {
        // canceled, requires_confirmation, requires_capture: not a charge we asked for; the caller
        // reconciles (and cancels) instead of retrying into the same stored answer.
        const message = `the payment attempt ended ${intent.status} instead of completing`;
        await payments.recordPaymentResult(pool, idempotencyKey, {
          status: intent.status === 'canceled' ? 'CANCELED' : 'FAILED',
          paymentIntentId: intent.id,
          errorCode: `unexpected_${intent.status}`,
          errorMessage: message,
        });
        throw new DomainError('PAYMENT_FAILED', message, {
          paymentIntentId: intent.id,
          status: intent.status,
        });
      }
    }
  }

  /** Audits a failed charge call and turns it into a decline, a typed rejection or a retryable error. */
  async function chargeFailed(idempotencyKey: string, error: unknown): Promise<unknown> {
    if (error instanceof Stripe.errors.StripeCardError) {
      const paymentIntentId = error.payment_intent?.id ?? null;
      const code = error.decline_code || error.code || null;
      await payments.recordPaymentResult(pool, idempotencyKey, {
        status: 'DECLINED',
        paymentIntentId,
        errorCode: code,
        errorMessage: error.message,
      });
      return declined(error.message, code, paymentIntentId);
    }
    await payments.recordPaymentResult(pool, idempotencyKey, {
      status: 'FAILED',
      errorCode: errorCode(error),
      errorMessage: describe(error),
    });
    if (error instanceof Stripe.errors.StripeIdempotencyError) {
      return new DomainError('IDEMPOTENCY_KEY_REUSED', error.message, { idempotencyKey });
    }
    if (error instanceof Stripe.errors.StripeInvalidRequestError) {
      return new DomainError('PAYMENT_FAILED', `the payment gateway refused the charge: ${error.message}`, {
        stripeCode: error.code,
        param: error.param,
      });
    }
    return error;
  }
}
