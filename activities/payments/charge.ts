// Owns the charge activity: one PaymentIntent per attempt, created and confirmed with the attempt's
// idempotency key, audited in Postgres before and after the call, heartbeating so the workflow's
// cancellation reaches it. A declined card is a typed, non-retryable rejection; network errors, 5xx,
// 409s ("in progress") and 429s stay plain errors for the retry policy.
import Stripe from 'stripe';
import { DomainError } from '../../src/errors';
import { announceSales } from '../../src/inventory/seat-map';
import * as payments from '../../src/payments/payments';
import {
  declined,
  describe,
  errorCode,
  isInProgress,
  type PaymentActivityDeps,
  sameCurrency,
  whileHeartbeating,
} from './gateway';

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

/** What the buyer's client needs to finish a payment that asks for authentication (3-D Secure). */
export interface NextAction {
  /** Stripe's next_action type: `use_stripe_sdk` (Stripe.js handles it) or `redirect_to_url`. */
  type: string;
  /** The PaymentIntent's client secret, for Stripe.js's handleNextAction. The buyer's only. */
  clientSecret: string;
  redirectUrl?: string;
}

export interface ChargeResult {
  status: 'succeeded' | 'requires_action' | 'processing';
  paymentIntentId: string;
  /** Set when `status` is `requires_action`. */
  nextAction?: NextAction;
}

/** The idempotency key of one charge attempt: stable across activity retries, new for another card. */
export function chargeIdempotencyKey(reservationId: string, attempt: number): string {
  return `${reservationId}:charge:${attempt}`;
}

/**
 * The attempt's create-and-confirm request. Derived from the attempt alone, so the attempt check can
 * send exactly the same request again under the same key (Stripe refuses a key with other parameters).
 */
export function chargeParams(input: ChargeInput): Stripe.PaymentIntentCreateParams {
  return {
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
  };
}

export function createChargeActivity({ pool, stripe, log, redis }: PaymentActivityDeps) {
  return { chargePayment };

  /** Creates and confirms the attempt's PaymentIntent; a replay of the same attempt never charges twice. */
  async function chargePayment(input: ChargeInput): Promise<ChargeResult> {
    try {
      return await whileHeartbeating((cancelled) => charge(input, cancelled));
    } catch (error) {
      // A decline moves the sales funnel without moving a seat: the live sales view hears of it here.
      if (redis && error instanceof DomainError && error.code === 'PAYMENT_DECLINED') {
        await announceSales(redis, input.eventId);
      }
      throw error;
    }
  }

  async function charge(input: ChargeInput, cancelled: AbortSignal): Promise<ChargeResult> {
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

    // Cancelled meanwhile: the workflow has stopped waiting, so nothing more may reach the gateway.
    if (cancelled.aborted)
      throw new Error(`charge attempt ${input.attempt} was cancelled before its request`);
    let intent: Stripe.PaymentIntent;
    try {
      intent = await stripe.paymentIntents.create(chargeParams(input), { idempotencyKey });
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
        return intent.status === 'processing'
          ? { status: 'processing', paymentIntentId: intent.id }
          : { status: 'requires_action', paymentIntentId: intent.id, nextAction: nextActionOf(intent) };
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
    // Another request of this attempt still runs at the gateway: its answer will come, nothing failed.
    if (isInProgress(error)) return error;
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

function nextActionOf(intent: Stripe.PaymentIntent): NextAction {
  const redirectUrl = intent.next_action?.redirect_to_url?.url ?? undefined;
  return {
    type: intent.next_action?.type ?? 'use_stripe_sdk',
    clientSecret: intent.client_secret ?? '',
    ...(redirectUrl && { redirectUrl }),
  };
}
