import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPaymentActivities, type PaymentActivities } from '../../activities/payments';
import type { StripeFixture } from '../../scripts/lib/stripe-fixture';
import { findPaymentsByReservation } from '../../src/payments/payments';
import { createPool, type Pool } from '../../src/platform/db';
import { createLogger } from '../../src/platform/logger';
import { createStripe } from '../../src/platform/stripe';
import { testDatabaseUrl } from '../helpers/urls';
import {
  asFailure,
  cancelPayment,
  createReservation,
  failureOf,
  ownPaymentMethod,
  shortTimeoutStripe,
  startFixture,
  type TestReservation,
  testConfig,
} from './helpers';

describe('payment activities: charge, reconcile, verify, cancel', () => {
  let fixture: StripeFixture;
  let pool: Pool;
  let stripe: Stripe;
  let activities: PaymentActivities;
  const log = createLogger('silent', 'payments-test');

  beforeAll(async () => {
    fixture = await startFixture();
    pool = createPool(testDatabaseUrl, 4);
    const config = testConfig(fixture);
    stripe = createStripe(config.stripe);
    activities = createPaymentActivities({ pool, stripe, config, log });
  });
  afterAll(async () => {
    await fixture.stop();
    await pool.end();
  });

  function chargeInput(reservation: TestReservation, attempt: number, paymentMethodId: string) {
    return { ...reservation, attempt, paymentMethodId, amount: 1000, currency: 'EUR' };
  }

  function intentsOf(reservationId: string) {
    return fixture.paymentIntents().filter((intent) => intent.metadata.reservationId === reservationId);
  }

  /** Activities with a Stripe client that gives up after `timeoutMs`, as a caller's deadline would. */
  function impatientActivities(timeoutMs: number): PaymentActivities {
    return createPaymentActivities({
      pool,
      stripe: shortTimeoutStripe(fixture, timeoutMs),
      config: testConfig(fixture),
      log,
    });
  }

  it('charges a working card and records the succeeded PaymentIntent', async () => {
    const reservation = await createReservation(pool);

    const result = await activities.chargePayment(chargeInput(reservation, 1, 'pm_card_visa'));

    expect(result).toEqual({ status: 'succeeded', paymentIntentId: expect.stringMatching(/^pi_/) });
    const [intent] = intentsOf(reservation.reservationId);
    expect(intent).toMatchObject({
      id: result.paymentIntentId,
      amount: 1000,
      currency: 'eur',
      payment_method: 'pm_card_visa',
      status: 'succeeded',
      metadata: {
        reservationId: reservation.reservationId,
        attempt: '1',
        buyerId: reservation.buyerId,
        eventId: reservation.eventId,
      },
    });
    const rows = await findPaymentsByReservation(pool, reservation.reservationId);
    expect(rows).toEqual([
      expect.objectContaining({
        attempt: 1,
        idempotencyKey: `${reservation.reservationId}:charge:1`,
        paymentIntentId: result.paymentIntentId,
        status: 'SUCCEEDED',
        errorCode: null,
      }),
    ]);
  });

  it.each([
    ['pm_card_chargeDeclined', 'generic_decline'],
    ['pm_card_chargeDeclinedInsufficientFunds', 'insufficient_funds'],
  ])(
    'turns %s into a non-retryable PAYMENT_DECLINED (%s) audited as DECLINED',
    async (paymentMethodId, declineCode) => {
      const reservation = await createReservation(pool);

      const failure = asFailure(
        await failureOf(activities.chargePayment(chargeInput(reservation, 1, paymentMethodId))),
      );

      const [intent] = intentsOf(reservation.reservationId);
      expect(failure).toEqual({
        type: 'PAYMENT_DECLINED',
        nonRetryable: true,
        details: { declineCode, paymentIntentId: intent?.id },
      });
      const [row] = await findPaymentsByReservation(pool, reservation.reservationId);
      expect(row).toMatchObject({ status: 'DECLINED', errorCode: declineCode, paymentIntentId: intent?.id });
    },
  );

  it('charges a second card after a decline as a new attempt with its own key', async () => {
    const reservation = await createReservation(pool);

    await failureOf(activities.chargePayment(chargeInput(reservation, 1, 'pm_card_chargeDeclined')));
    const second = await activities.chargePayment(chargeInput(reservation, 2, 'pm_card_visa'));

    expect(second.status).toBe('succeeded');
    const rows = await findPaymentsByReservation(pool, reservation.reservationId);
    expect(rows.map((row) => [row.attempt, row.status])).toEqual([
      [1, 'DECLINED'],
      [2, 'SUCCEEDED'],
    ]);
    expect(intentsOf(reservation.reservationId)).toHaveLength(2);
  });

  it('charges once when the same attempt runs twice', async () => {
    const reservation = await createReservation(pool);

    const first = await activities.chargePayment(chargeInput(reservation, 1, 'pm_card_visa'));
    const second = await activities.chargePayment(chargeInput(reservation, 1, 'pm_card_visa'));

    expect(second).toEqual(first);
    expect(intentsOf(reservation.reservationId)).toHaveLength(1);
    expect(await findPaymentsByReservation(pool, reservation.reservationId)).toHaveLength(1);
  });

  it('charges once when the answer is lost and the retry carries the same key', async () => {
    const reservation = await createReservation(pool);
    const paymentMethod = ownPaymentMethod();
    fixture.setFault(paymentMethod, { failAfterCharge: true });

    const lost = await failureOf(activities.chargePayment(chargeInput(reservation, 1, paymentMethod)));
    expect(lost).toBeInstanceOf(Stripe.errors.StripeAPIError);
    expect(await findPaymentsByReservation(pool, reservation.reservationId)).toEqual([
      expect.objectContaining({ status: 'FAILED', paymentIntentId: null, errorCode: 'api_error' }),
    ]);

    const retried = await activities.chargePayment(chargeInput(reservation, 1, paymentMethod));

    const intents = intentsOf(reservation.reservationId);
    expect(intents).toHaveLength(1);
    expect(retried).toEqual({ status: 'succeeded', paymentIntentId: intents[0]?.id });
    expect(await findPaymentsByReservation(pool, reservation.reservationId)).toEqual([
      expect.objectContaining({ status: 'SUCCEEDED', paymentIntentId: intents[0]?.id, errorCode: null }),
    ]);
  });

  it('leaves 5xx and 429 answers to the retry policy and succeeds once the gateway recovers', async () => {
    const reservation = await createReservation(pool);
    const paymentMethod = ownPaymentMethod();
    fixture.setFault(paymentMethod, { failWith5xx: 2, rateLimited: 1 });

    const failures: unknown[] = [];
    let result: Awaited<ReturnType<PaymentActivities['chargePayment']>> | undefined;
    while (!result) {
      try {
        result = await activities.chargePayment(chargeInput(reservation, 1, paymentMethod));
      } catch (error) {
        failures.push(error);
        if (failures.length > 3) throw error;
      }
    }

    expect(
      failures.map((error) => [(error as Error).constructor.name, asFailure(error).nonRetryable]),
    ).toEqual([
      ['StripeAPIError', false],
      ['StripeAPIError', false],
      ['StripeRateLimitError', false],
    ]);
    expect(result.status).toBe('succeeded');
    expect(intentsOf(reservation.reservationId)).toHaveLength(1);
  });

  it('reconciles a hung charge after the caller gives up: cancels its PaymentIntent and reports failed', async () => {
    const reservation = await createReservation(pool);
    const paymentMethod = ownPaymentMethod();
    fixture.setFault(paymentMethod, { hang: true });

    const gaveUp = await failureOf(
      impatientActivities(300).chargePayment(chargeInput(reservation, 1, paymentMethod)),
    );
    expect(gaveUp).toBeInstanceOf(Stripe.errors.StripeConnectionError);
    expect(asFailure(gaveUp).nonRetryable).toBe(false);
    expect(intentsOf(reservation.reservationId)[0]?.status).toBe('processing');

    const truth = await activities.checkPaymentAttempt({
      reservationId: reservation.reservationId,
      attempt: 1,
    });

    const [intent] = intentsOf(reservation.reservationId);
    expect(truth).toEqual({ status: 'failed', paymentIntentId: intent?.id });
    expect(intent).toMatchObject({ status: 'canceled', cancellation_reason: 'abandoned' });
    expect(await findPaymentsByReservation(pool, reservation.reservationId)).toEqual([
      expect.objectContaining({ status: 'CANCELED', paymentIntentId: intent?.id }),
    ]);

    // The gateway finally answering the abandoned request can't turn the canceled attempt into a charge.
    fixture.clearFaults(paymentMethod);
    expect(intentsOf(reservation.reservationId)[0]?.status).toBe('canceled');
  });

  it('reconciles a charge whose answer was lost to succeeded, without cancelling it', async () => {
    const reservation = await createReservation(pool);
    const paymentMethod = ownPaymentMethod();
    fixture.setFault(paymentMethod, { failAfterCharge: true });
    await failureOf(activities.chargePayment(chargeInput(reservation, 1, paymentMethod)));

    const truth = await activities.checkPaymentAttempt({
      reservationId: reservation.reservationId,
      attempt: 1,
    });

    const [intent] = intentsOf(reservation.reservationId);
    expect(truth).toEqual({ status: 'succeeded', paymentIntentId: intent?.id });
    expect(intent?.status).toBe('succeeded');
    expect(await findPaymentsByReservation(pool, reservation.reservationId)).toEqual([
      expect.objectContaining({ status: 'SUCCEEDED', paymentIntentId: intent?.id }),
    ]);
  });

  it('reports not_found for an attempt that never reached the gateway or never executed there', async () => {
    const reservation = await createReservation(pool);
    expect(
      await activities.checkPaymentAttempt({ reservationId: reservation.reservationId, attempt: 1 }),
    ).toEqual({
      status: 'not_found',
    });

    const paymentMethod = ownPaymentMethod();
    fixture.setFault(paymentMethod, { failWith5xx: 1 });
    await failureOf(activities.chargePayment(chargeInput(reservation, 1, paymentMethod)));

    expect(
      await activities.checkPaymentAttempt({ reservationId: reservation.reservationId, attempt: 1 }),
    ).toEqual({
      status: 'not_found',
    });
    expect(await findPaymentsByReservation(pool, reservation.reservationId)).toEqual([
      expect.objectContaining({ status: 'FAILED', errorCode: 'not_found' }),
    ]);
  });

  it('reports a 3-D Secure charge as requires_action and reconciles it once the buyer completes it', async () => {
    const reservation = await createReservation(pool);

    const pending = await activities.chargePayment(
      chargeInput(reservation, 1, 'pm_card_authenticationRequired'),
    );
    expect(pending.status).toBe('requires_action');
    expect((await findPaymentsByReservation(pool, reservation.reservationId))[0]?.status).toBe('PROCESSING');

    fixture.completeAction(pending.paymentIntentId, 'succeeded');
    const truth = await activities.checkPaymentAttempt({
      reservationId: reservation.reservationId,
      attempt: 1,
    });

    expect(truth).toEqual({ status: 'succeeded', paymentIntentId: pending.paymentIntentId });
    expect((await findPaymentsByReservation(pool, reservation.reservationId))[0]?.status).toBe('SUCCEEDED');
  });

  describe('verifyPayment', () => {
    it("accepts the checkout's own charge whose answer was lost and completes its audit row", async () => {
      const reservation = await createReservation(pool);
      const paymentMethod = ownPaymentMethod();
      fixture.setFault(paymentMethod, { failAfterCharge: true });
      await failureOf(activities.chargePayment(chargeInput(reservation, 1, paymentMethod)));
      const [intent] = intentsOf(reservation.reservationId);

      const verified = await activities.verifyPayment({
        paymentIntentId: intent?.id ?? '',
        amount: 1000,
        currency: 'EUR',
        reservationId: reservation.reservationId,
      });

      expect(verified).toEqual({ paymentIntentId: intent?.id });
      expect(await findPaymentsByReservation(pool, reservation.reservationId)).toEqual([
        expect.objectContaining({ attempt: 1, status: 'SUCCEEDED', paymentIntentId: intent?.id }),
      ]);
    });

    it('refuses a payment made outside the checkout unless support adopts it, then records it as attempt 0', async () => {
      const reservation = await createReservation(pool);
      const outside = await stripe.paymentIntents.create({
        amount: 1000,
        currency: 'eur',
        payment_method: 'pm_card_visa',
        confirm: true,
      });
      const input = {
        paymentIntentId: outside.id,
        amount: 1000,
        currency: 'EUR',
        reservationId: reservation.reservationId,
      };

      const refused = asFailure(await failureOf(activities.verifyPayment(input)));
      expect(refused).toMatchObject({ type: 'PAYMENT_NOT_VERIFIED', nonRetryable: true });
      expect(await findPaymentsByReservation(pool, reservation.reservationId)).toEqual([]);

      await activities.verifyPayment({ ...input, adoptForeignPayment: true });

      expect(await findPaymentsByReservation(pool, reservation.reservationId)).toEqual([
        expect.objectContaining({
          attempt: 0,
          idempotencyKey: `${reservation.reservationId}:verify:${outside.id}`,
          status: 'SUCCEEDED',
          paymentIntentId: outside.id,
        }),
      ]);
    });

    it('rejects a PaymentIntent that was refunded, in full or in part', async () => {
      for (const refunded of [1000, 1]) {
        const reservation = await createReservation(pool);
        const { paymentIntentId } = await activities.chargePayment(
          chargeInput(reservation, 1, 'pm_card_visa'),
        );
        await stripe.refunds.create({ payment_intent: paymentIntentId, amount: refunded });

        const failure = asFailure(
          await failureOf(
            activities.verifyPayment({
              paymentIntentId,
              amount: 1000,
              currency: 'EUR',
              reservationId: reservation.reservationId,
            }),
          ),
        );
        expect(failure, `refunded ${refunded}`).toMatchObject({
          type: 'PAYMENT_NOT_VERIFIED',
          nonRetryable: true,
        });
      }
    });

    it('rejects a wrong amount or currency, an unfinished or unknown PaymentIntent, and one paying another reservation', async () => {
      const paid = await createReservation(pool);
      const { paymentIntentId } = await activities.chargePayment(chargeInput(paid, 1, 'pm_card_visa'));
      const declinedReservation = await createReservation(pool);
      const declined = await failureOf(
        activities.chargePayment(chargeInput(declinedReservation, 1, 'pm_card_chargeDeclined')),
      );
      const declinedIntentId = (asFailure(declined).details as { paymentIntentId: string }).paymentIntentId;
      const other = await createReservation(pool);

      const attempts = [
        { paymentIntentId, amount: 999, currency: 'EUR', reservationId: paid.reservationId },
        { paymentIntentId, amount: 1000, currency: 'USD', reservationId: paid.reservationId },
        {
          paymentIntentId: declinedIntentId,
          amount: 1000,
          currency: 'EUR',
          reservationId: declinedReservation.reservationId,
        },
        {
          paymentIntentId: 'pi_does_not_exist',
          amount: 1000,
          currency: 'EUR',
          reservationId: paid.reservationId,
        },
        { paymentIntentId, amount: 1000, currency: 'EUR', reservationId: other.reservationId },
      ];
      for (const attempt of attempts) {
        const failure = asFailure(await failureOf(activities.verifyPayment(attempt)));
        expect(failure, JSON.stringify(attempt)).toMatchObject({
          type: 'PAYMENT_NOT_VERIFIED',
          nonRetryable: true,
        });
      }
      expect(await findPaymentsByReservation(pool, other.reservationId)).toEqual([]);
    });
  });

  describe('cancelPayment', () => {
    it('cancels a PaymentIntent that has not succeeded and leaves a succeeded one alone', async () => {
      const open = await stripe.paymentIntents.create({
        amount: 500,
        currency: 'eur',
        payment_method: 'pm_card_visa',
      });
      const paid = await stripe.paymentIntents.create({
        amount: 500,
        currency: 'eur',
        payment_method: 'pm_card_visa',
        confirm: true,
      });

      expect(await cancelPayment({ pool, stripe }, { paymentIntentId: open.id })).toEqual({
        canceled: true,
        status: 'canceled',
      });
      expect(await cancelPayment({ pool, stripe }, { paymentIntentId: open.id })).toEqual({
        canceled: true,
        status: 'canceled',
      });
      expect(await cancelPayment({ pool, stripe }, { paymentIntentId: paid.id })).toEqual({
        canceled: false,
        status: 'succeeded',
      });
      expect(await cancelPayment({ pool, stripe }, { paymentIntentId: 'pi_does_not_exist' })).toEqual({
        canceled: false,
        status: 'not_found',
      });
    });
  });
});
