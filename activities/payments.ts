// Owns the payment activities: every call that reaches the payment gateway (charge, reconcile, verify,
// refund, cancel), each audited in Postgres before and after the call. Card declines and requests the
// gateway refuses become typed DomainErrors (non-retryable); network errors, 5xx, 409s and 429s stay
// plain errors for Temporal's retry policy, always with the same idempotency key.
import { ApplicationFailure } from '@temporalio/common';
import Stripe from 'stripe';
import { DomainError } from '../src/errors';
import * as payments from '../src/payments/payments';
import type { Config } from '../src/platform/config';
import { type Pool, pgErrorCodes } from '../src/platform/db';
import type { Logger } from '../src/platform/logger';
import * as refunds from '../src/refunds/refunds';
import { withDomainFailures } from './failures';

export interface PaymentActivityDeps {
  pool: Pool;
  stripe: Stripe;
  config: Config;
  log: Logger;
}

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

export interface ReconcileInput {
  reservationId: string;
  attempt: number;
}

export interface ReconcileResult {
  status: 'succeeded' | 'failed' | 'processing' | 'not_found';
  paymentIntentId?: string;
}

export interface VerifyInput {
  paymentIntentId: string;
  amount: number;
  currency: string;
  reservationId: string;
}

export interface RefundInput {
  /** Our id for the refund (the refunds row's primary key); the idempotency key derives from it. */
  refundId: string;
  reservationId: string;
  orderId?: string;
  paymentIntentId: string;
  amount: number;
  currency: string;
  /** Free text for the audit and Stripe metadata (Stripe's own `reason` enum is not used). */
  reason: string;
  actor: string;
}

export interface RefundResult {
  stripeRefundId: string;
  status: 'succeeded' | 'pending';
}

export interface CancelResult {
  canceled: boolean;
  status: Stripe.PaymentIntent.Status | 'not_found';
}

/** The idempotency key of one charge attempt: stable across activity retries, new for another card. */
export function chargeIdempotencyKey(reservationId: string, attempt: number): string {
  return `${reservationId}:charge:${attempt}`;
}

export function refundIdempotencyKey(refundId: string): string {
  return `refund:${refundId}`;
}

/**
 * How far before an attempt's audit row reconciliation looks for its PaymentIntent, to absorb clock
 * skew between Postgres and the gateway.
 */
const reconcileLookbackSeconds = 300;
const stripeMetadataValueLimit = 500;

/**
 * Builds the payment activities around their dependencies.
 *
 * @example
 * const activities = createPaymentActivities({ pool, stripe: createStripe(config.stripe), config, log });
 * await activities.chargePayment({ reservationId, attempt: 1, paymentMethodId: 'pm_card_visa', ... });
 */
export function createPaymentActivities({ pool, stripe, log }: PaymentActivityDeps) {
  return withDomainFailures({
    /** Creates and confirms the attempt's PaymentIntent; a replay of the same attempt never charges twice. */
    async chargePayment(input: ChargeInput): Promise<ChargeResult> {
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
    },

    /**
     * Finds out what really happened to an attempt (after a timeout or a lost answer): looks up its
     * PaymentIntent, cancels it unless it succeeded, records the outcome and returns the gateway's truth.
     */
    async reconcilePayment(input: ReconcileInput): Promise<ReconcileResult> {
      const idempotencyKey = chargeIdempotencyKey(input.reservationId, input.attempt);
      const row = await payments.findPaymentByKey(pool, idempotencyKey);
      // The row is written before any call, so without it the gateway never heard of this attempt.
      if (!row) return { status: 'not_found' };

      const found = row.paymentIntentId
        ? await retrieveIntent(row.paymentIntentId)
        : await findAttemptIntent(row);
      if (!found) {
        await payments.recordPaymentResult(pool, idempotencyKey, {
          status: 'FAILED',
          errorCode: 'not_found',
          errorMessage: 'reconciliation found no PaymentIntent for this attempt at the gateway',
        });
        return { status: 'not_found' };
      }
      const intent = await cancelUnlessSucceeded(found);
      const status = reconciledStatus(intent.status);
      await payments.recordPaymentResult(pool, idempotencyKey, {
        status: auditStatus(intent.status),
        paymentIntentId: intent.id,
        errorCode: status === 'succeeded' ? null : `reconciled_${intent.status}`,
        errorMessage:
          status === 'succeeded' ? null : `reconciliation found the PaymentIntent ${intent.status}`,
      });
      log.info({ ...input, paymentIntentId: intent.id, status: intent.status }, 'charge attempt reconciled');
      return { status, paymentIntentId: intent.id };
    },

    /**
     * Support's forceConfirm: accepts a PaymentIntent only if the gateway says it succeeded for exactly
     * this amount and currency and it doesn't already pay for another reservation; records it.
     */
    async verifyPayment(input: VerifyInput): Promise<{ paymentIntentId: string }> {
      const intent = await retrieveIntent(input.paymentIntentId);
      if (!intent)
        throw notVerified(`no PaymentIntent ${input.paymentIntentId} exists at the payment gateway`);
      if (intent.status !== 'succeeded') {
        throw notVerified(`PaymentIntent ${intent.id} is ${intent.status}, not succeeded`);
      }
      if (intent.amount_received !== input.amount || !sameCurrency(intent.currency, input.currency)) {
        throw notVerified(
          `PaymentIntent ${intent.id} took ${intent.amount_received} ${intent.currency.toUpperCase()}, ` +
            `the reservation costs ${input.amount} ${input.currency.toUpperCase()}`,
        );
      }
      const owner = intent.metadata?.reservationId;
      if (owner && owner !== input.reservationId) {
        throw notVerified(`PaymentIntent ${intent.id} was made for reservation ${owner}`);
      }
      const other = (await payments.findPaymentsByIntent(pool, intent.id)).find(
        (row) => row.reservationId !== input.reservationId,
      );
      if (other)
        throw notVerified(`PaymentIntent ${intent.id} already pays for reservation ${other.reservationId}`);

      // The checkout's own attempt (its answer was lost) completes its row; anything else gets attempt 0.
      const attempt = owner === input.reservationId ? Number(intent.metadata.attempt) : 0;
      const own = Number.isInteger(attempt) && attempt > 0;
      try {
        await payments.recordVerifiedPayment(pool, {
          reservationId: input.reservationId,
          attempt: own ? attempt : 0,
          idempotencyKey: own
            ? chargeIdempotencyKey(input.reservationId, attempt)
            : `${input.reservationId}:verify:${intent.id}`,
          paymentMethodId: paymentMethodIdOf(intent),
          paymentIntentId: intent.id,
          amount: input.amount,
          currency: input.currency,
        });
      } catch (error) {
        if ((error as { code?: string }).code !== pgErrorCodes.uniqueViolation) throw error;
        throw notVerified(
          `reservation ${input.reservationId} already has another payment verified by support`,
        );
      }
      log.info({ ...input }, 'payment verified with the gateway');
      return { paymentIntentId: intent.id };
    },

    /** Refunds (part of) a PaymentIntent once per refund id, audited in the refunds table. */
    async refundPayment(input: RefundInput): Promise<RefundResult> {
      const idempotencyKey = refundIdempotencyKey(input.refundId);
      const row = await refunds.requestRefund(pool, {
        id: input.refundId,
        orderId: input.orderId,
        reservationId: input.reservationId,
        paymentIntentId: input.paymentIntentId,
        idempotencyKey,
        amount: input.amount,
        currency: input.currency,
        reason: input.reason,
        actor: input.actor,
      });
      if (
        row.paymentIntentId !== input.paymentIntentId ||
        row.amount !== input.amount ||
        !sameCurrency(row.currency, input.currency)
      ) {
        throw new DomainError(
          'IDEMPOTENCY_KEY_REUSED',
          `refund ${input.refundId} was already requested with other parameters`,
          {
            refundId: input.refundId,
          },
        );
      }
      if (row.status === 'SUCCEEDED' && row.stripeRefundId) {
        return { stripeRefundId: row.stripeRefundId, status: 'succeeded' };
      }

      let refund: Stripe.Refund;
      try {
        refund = await stripe.refunds.create(
          {
            payment_intent: input.paymentIntentId,
            amount: input.amount,
            metadata: {
              refundId: input.refundId,
              reservationId: input.reservationId,
              ...(input.orderId && { orderId: input.orderId }),
              reason: input.reason.slice(0, stripeMetadataValueLimit),
              actor: input.actor.slice(0, stripeMetadataValueLimit),
            },
          },
          { idempotencyKey },
        );
      } catch (error) {
        await refunds.recordRefundFailed(pool, input.refundId, describe(error));
        throw refundFailure(error, input);
      }
      if (
        refund.status === 'succeeded' ||
        refund.status === 'pending' ||
        refund.status === 'requires_action'
      ) {
        const succeeded = refund.status === 'succeeded';
        await refunds.recordRefundAccepted(pool, input.refundId, {
          stripeRefundId: refund.id,
          status: succeeded ? 'SUCCEEDED' : 'REQUESTED',
        });
        log.info({ ...input, stripeRefundId: refund.id, status: refund.status }, 'refund answered');
        return { stripeRefundId: refund.id, status: succeeded ? 'succeeded' : 'pending' };
      }
      const message = `refund ${refund.id} ${refund.status}${refund.failure_reason ? `: ${refund.failure_reason}` : ''}`;
      await refunds.recordRefundFailed(pool, input.refundId, message);
      // Replaying the same key would return the same failed refund: retrying can't help, support must act.
      throw ApplicationFailure.create({ type: 'REFUND_FAILED', message, nonRetryable: true });
    },

    /** Best-effort cancel of a PaymentIntent that has not succeeded; reports where it ended up. */
    async cancelPayment(input: { paymentIntentId: string }): Promise<CancelResult> {
      const intent = await retrieveIntent(input.paymentIntentId);
      if (!intent) return { canceled: false, status: 'not_found' };
      const settled = await cancelUnlessSucceeded(intent);
      if (settled.status === 'canceled') await payments.recordIntentStatus(pool, settled.id, 'CANCELED');
      return { canceled: settled.status === 'canceled', status: settled.status };
    },
  });

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

  async function retrieveIntent(paymentIntentId: string): Promise<Stripe.PaymentIntent | undefined> {
    try {
      return await stripe.paymentIntents.retrieve(paymentIntentId);
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  /** The attempt's PaymentIntent when its creation answer was lost: listed by time, matched by metadata. */
  async function findAttemptIntent(row: payments.PaymentRow): Promise<Stripe.PaymentIntent | undefined> {
    const since = Math.floor(row.createdAt.getTime() / 1000) - reconcileLookbackSeconds;
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

  /** Cancels a PaymentIntent that can still be canceled; if the gateway refuses, reads where it ended. */
  async function cancelUnlessSucceeded(intent: Stripe.PaymentIntent): Promise<Stripe.PaymentIntent> {
    if (!cancelable(intent.status)) return intent;
    try {
      return await stripe.paymentIntents.cancel(intent.id, { cancellation_reason: 'abandoned' });
    } catch (error) {
      if (!isUnexpectedState(error)) throw error;
      return stripe.paymentIntents.retrieve(intent.id);
    }
  }
}

export type PaymentActivities = ReturnType<typeof createPaymentActivities>;

function cancelable(status: Stripe.PaymentIntent.Status): boolean {
  return status !== 'succeeded' && status !== 'canceled';
}

function reconciledStatus(status: Stripe.PaymentIntent.Status): ReconcileResult['status'] {
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

function declined(message: string, declineCode: string | null, paymentIntentId: string | null): DomainError {
  return new DomainError('PAYMENT_DECLINED', message, { declineCode, paymentIntentId });
}

function notVerified(message: string): DomainError {
  return new DomainError('PAYMENT_NOT_VERIFIED', message);
}

function refundFailure(error: unknown, input: RefundInput): unknown {
  if (error instanceof Stripe.errors.StripeIdempotencyError) {
    return new DomainError('IDEMPOTENCY_KEY_REUSED', error.message, { refundId: input.refundId });
  }
  if (!(error instanceof Stripe.errors.StripeInvalidRequestError)) return error;
  const details = { paymentIntentId: input.paymentIntentId, stripeCode: error.code };
  if (error.code === 'charge_already_refunded')
    return new DomainError('ALREADY_REFUNDED', error.message, details);
  if (error.code === 'amount_too_large')
    return new DomainError('REFUND_EXCEEDS_PAYMENT', error.message, details);
  return new DomainError(
    'VALIDATION_FAILED',
    `the payment gateway refused the refund: ${error.message}`,
    details,
  );
}

function isMissing(error: unknown): boolean {
  return (
    error instanceof Stripe.errors.StripeInvalidRequestError &&
    (error.statusCode === 404 || error.code === 'resource_missing')
  );
}

function isUnexpectedState(error: unknown): boolean {
  return (
    error instanceof Stripe.errors.StripeInvalidRequestError &&
    error.code === 'payment_intent_unexpected_state'
  );
}

function errorCode(error: unknown): string {
  if (error instanceof Stripe.errors.StripeError) return error.code ?? error.rawType ?? error.type;
  return (error as { code?: string }).code ?? 'error';
}

function describe(error: unknown): string {
  if (error instanceof Stripe.errors.StripeError && error.statusCode) {
    return `${error.type} (HTTP ${error.statusCode}): ${error.message}`;
  }
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

function sameCurrency(a: string, b: string): boolean {
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}

function paymentMethodIdOf(intent: Stripe.PaymentIntent): string {
  const method = intent.payment_method;
  if (typeof method === 'string') return method;
  return method?.id ?? 'unknown';
}
