// Owns the refund activity: refunds (part of) a PaymentIntent once per refund id, audited in the refunds
// table before and after the gateway call. Refusals the gateway gives (already refunded, too much) are
// typed rejections; a refund the gateway marks failed is REFUND_FAILED for support to act on.
import Stripe from 'stripe';
import { DomainError } from '../../src/errors';
import * as refunds from '../../src/refunds/refunds';
import { describe, type PaymentActivityDeps, sameCurrency, stripeMetadataValueLimit } from './gateway';

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

export function refundIdempotencyKey(refundId: string): string {
  return `refund:${refundId}`;
}

export function createRefundPaymentActivity({ pool, stripe, log }: PaymentActivityDeps) {
  return { refundPayment };

  async function refundPayment(input: RefundInput): Promise<RefundResult> {
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
    if (refund.status === 'succeeded' || refund.status === 'pending' || refund.status === 'requires_action') {
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
    throw new DomainError('REFUND_FAILED', message, { refundId: input.refundId, stripeRefundId: refund.id });
  }
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
