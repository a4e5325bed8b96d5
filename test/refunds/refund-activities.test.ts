import { randomUUID } from 'node:crypto';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPaymentActivities, type PaymentActivities, type RefundInput } from '../../activities/payments';
import type { StripeFixture } from '../../scripts/lib/stripe-fixture';
import { createPool, type Pool } from '../../src/platform/db';
import { createLogger } from '../../src/platform/logger';
import { createStripe } from '../../src/platform/stripe';
import { findRefund } from '../../src/refunds/refunds';
import { testDatabaseUrl } from '../helpers/urls';
import {
  asFailure,
  createReservation,
  failureOf,
  ownPaymentMethod,
  startFixture,
  type TestReservation,
  testConfig,
} from '../payments/helpers';

describe('payment activities: refundPayment', () => {
  let fixture: StripeFixture;
  let pool: Pool;
  let activities: PaymentActivities;

  beforeAll(async () => {
    fixture = await startFixture();
    pool = createPool(testDatabaseUrl, 4);
    const config = testConfig(fixture);
    activities = createPaymentActivities({
      pool,
      stripe: createStripe(config.stripe),
      config,
      log: createLogger('silent', 'payments-test'),
    });
  });
  afterAll(async () => {
    await fixture.stop();
    await pool.end();
  });

  async function paidReservation(paymentMethodId = 'pm_card_visa') {
    const reservation = await createReservation(pool);
    const { paymentIntentId } = await activities.chargePayment({
      ...reservation,
      attempt: 1,
      paymentMethodId,
      amount: 1000,
      currency: 'EUR',
    });
    return { ...reservation, paymentIntentId };
  }

  function refundInput(paid: TestReservation & { paymentIntentId: string }, amount: number): RefundInput {
    return {
      refundId: `refund-${randomUUID()}`,
      reservationId: paid.reservationId,
      paymentIntentId: paid.paymentIntentId,
      amount,
      currency: 'EUR',
      reason: 'buyer asked support',
      actor: 'support-ana',
    };
  }

  function refundsOf(paymentIntentId: string) {
    return fixture.refunds().filter((refund) => refund.payment_intent === paymentIntentId);
  }

  it('refunds a charge in full and records the Stripe refund id', async () => {
    const paid = await paidReservation();
    const input = refundInput(paid, 1000);

    const result = await activities.refundPayment(input);

    expect(result).toEqual({ stripeRefundId: expect.stringMatching(/^re_/), status: 'succeeded' });
    expect(refundsOf(paid.paymentIntentId)).toEqual([
      expect.objectContaining({
        id: result.stripeRefundId,
        amount: 1000,
        metadata: expect.objectContaining({
          refundId: input.refundId,
          reason: input.reason,
          actor: input.actor,
        }),
      }),
    ]);
    expect(await findRefund(pool, input.refundId)).toMatchObject({
      idempotencyKey: `refund:${input.refundId}`,
      stripeRefundId: result.stripeRefundId,
      amount: 1000,
      status: 'SUCCEEDED',
      errorMessage: null,
    });
  });

  it('refunds in parts up to the amount charged and rejects anything beyond it', async () => {
    const paid = await paidReservation();
    await activities.refundPayment(refundInput(paid, 300));

    const tooMuch = refundInput(paid, 701);
    expect(asFailure(await failureOf(activities.refundPayment(tooMuch)))).toMatchObject({
      type: 'REFUND_EXCEEDS_PAYMENT',
      nonRetryable: true,
    });
    expect(await findRefund(pool, tooMuch.refundId)).toMatchObject({
      status: 'FAILED',
      errorMessage: expect.stringContaining('greater than unrefunded amount'),
    });

    await activities.refundPayment(refundInput(paid, 700));
    const again = refundInput(paid, 1);
    expect(asFailure(await failureOf(activities.refundPayment(again)))).toMatchObject({
      type: 'ALREADY_REFUNDED',
      nonRetryable: true,
    });
    expect(refundsOf(paid.paymentIntentId).map((refund) => refund.amount)).toEqual([700, 300]);
  });

  it('refunds once when the same refund is requested again, even after a lost answer', async () => {
    const paymentMethod = ownPaymentMethod();
    const paid = await paidReservation(paymentMethod);
    const input = refundInput(paid, 400);
    fixture.setFault(paymentMethod, { failAfterCharge: true });

    const lost = await failureOf(activities.refundPayment(input));
    expect(lost).toBeInstanceOf(Stripe.errors.StripeAPIError);
    expect(asFailure(lost).nonRetryable).toBe(false);
    expect(await findRefund(pool, input.refundId)).toMatchObject({ status: 'FAILED', stripeRefundId: null });

    const retried = await activities.refundPayment(input);
    const again = await activities.refundPayment(input);

    const refunds = refundsOf(paid.paymentIntentId);
    expect(refunds).toHaveLength(1);
    expect(retried).toEqual({ stripeRefundId: refunds[0]?.id, status: 'succeeded' });
    expect(again).toEqual(retried);
    expect(await findRefund(pool, input.refundId)).toMatchObject({
      status: 'SUCCEEDED',
      stripeRefundId: refunds[0]?.id,
    });
  });

  it('rejects a refund id reused for another amount before reaching the gateway', async () => {
    const paid = await paidReservation();
    const input = refundInput(paid, 200);
    await activities.refundPayment(input);

    const reused = await failureOf(activities.refundPayment({ ...input, amount: 300 }));

    expect(asFailure(reused)).toMatchObject({ type: 'IDEMPOTENCY_KEY_REUSED', nonRetryable: true });
    expect(refundsOf(paid.paymentIntentId)).toHaveLength(1);
  });

  it('rejects refunding a payment that never succeeded', async () => {
    const reservation: TestReservation = await createReservation(pool);
    const declined = await failureOf(
      activities.chargePayment({
        ...reservation,
        attempt: 1,
        paymentMethodId: 'pm_card_chargeDeclined',
        amount: 1000,
        currency: 'EUR',
      }),
    );
    const { paymentIntentId } = asFailure(declined).details as { paymentIntentId: string };

    const refused = await failureOf(
      activities.refundPayment(refundInput({ ...reservation, paymentIntentId }, 1000)),
    );

    expect(asFailure(refused)).toMatchObject({ type: 'VALIDATION_FAILED', nonRetryable: true });
    expect(refundsOf(paymentIntentId)).toEqual([]);
  });
});
