// Owns the verification of a PaymentIntent someone else brought (support's forceConfirm, a late
// webhook): accepted only if the gateway says it succeeded for exactly this amount and currency, nothing
// of it was refunded, it was made for this reservation (or support adopts it explicitly) and it pays for
// no other reservation; then recorded in the payments audit.
import type Stripe from 'stripe';
import * as payments from '../../src/payments/payments';
import { pgErrorCodes } from '../../src/platform/db';
import { chargeIdempotencyKey } from './charge';
import {
  notVerified,
  type PaymentActivityDeps,
  paymentMethodIdOf,
  retrieveIntent,
  sameCurrency,
} from './gateway';

export interface VerifyInput {
  paymentIntentId: string;
  amount: number;
  currency: string;
  reservationId: string;
  /**
   * Support's explicit choice to sell with a PaymentIntent made outside the checkout (it carries none of
   * our metadata); without it such a payment is refused.
   */
  adoptForeignPayment?: boolean;
}

export function createVerifyActivity({ pool, stripe, log }: PaymentActivityDeps) {
  return { verifyPayment };

  /**
   * Accepts a PaymentIntent only if the gateway says it succeeded for exactly this amount and currency,
   * none of it was refunded, it is this reservation's (or adopted) and pays for no other; records it.
   */
  async function verifyPayment(input: VerifyInput): Promise<{ paymentIntentId: string }> {
    const intent = await retrieveIntent(stripe, input.paymentIntentId);
    if (!intent) throw notVerified(`no PaymentIntent ${input.paymentIntentId} exists at the payment gateway`);
    if (intent.status !== 'succeeded') {
      throw notVerified(`PaymentIntent ${intent.id} is ${intent.status}, not succeeded`);
    }
    if (intent.amount_received !== input.amount || !sameCurrency(intent.currency, input.currency)) {
      throw notVerified(
        `PaymentIntent ${intent.id} took ${intent.amount_received} ${intent.currency.toUpperCase()}, ` +
          `the reservation costs ${input.amount} ${input.currency.toUpperCase()}`,
      );
    }
    const refunded = await refundedAmount(intent.id);
    if (refunded > 0) {
      throw notVerified(
        `PaymentIntent ${intent.id} has ${refunded} ${intent.currency.toUpperCase()} refunded; it can't pay for tickets`,
      );
    }
    const owner = intent.metadata?.reservationId;
    if (owner && owner !== input.reservationId) {
      throw notVerified(`PaymentIntent ${intent.id} was made for reservation ${owner}`);
    }
    if (!owner && !input.adoptForeignPayment) {
      throw notVerified(
        `PaymentIntent ${intent.id} was not made by the checkout (no reservation in its metadata); ` +
          'support can adopt it explicitly with adoptForeignPayment',
      );
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
      throw notVerified(`reservation ${input.reservationId} already has another payment verified by support`);
    }
    log.info({ ...input }, 'payment verified with the gateway');
    return { paymentIntentId: intent.id };
  }

  /** What was (or is being) given back of a PaymentIntent: every refund that has not failed or been canceled. */
  async function refundedAmount(paymentIntentId: string): Promise<number> {
    let total = 0;
    for await (const refund of stripe.refunds.list({ payment_intent: paymentIntentId, limit: 100 })) {
      if (!refundGivesNothingBack(refund.status)) total += refund.amount;
    }
    return total;
  }
}

function refundGivesNothingBack(status: Stripe.Refund['status']): boolean {
  return status === 'failed' || status === 'canceled';
}
