// The payment activities against the suite's own Stripe fixture: charging an attempt (declines, replays,
// lost answers, outages), verifying a PaymentIntent someone brought, and cancelling one.
import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import type { PaymentActivities } from '../../activities/payments';
import { findPaymentsByReservation } from '../../src/payments/payments';
import {
  asFailure,
  cancelPayment,
  createReservation,
  failureOf,
  ownPaymentMethod,
  usePaymentSuite,
} from './helpers';

describe('payment activities: charge, verify, cancel', () => {
  const suite = usePaymentSuite();
  const { chargeInput, intentsOf } = suite;

  it('charges a working card and records the succeeded PaymentIntent', async () => {
    const reservation = await createReservation(suite.pool);

    const result = await suite.activities.chargePayment(chargeInput(reservation, 1, 'pm_card_visa'));

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
    const rows = await findPaymentsByReservation(suite.pool, reservation.reservationId);
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
      const reservation = await createReservation(suite.pool);

      const failure = asFailure(
        await failureOf(suite.activities.chargePayment(chargeInput(reservation, 1, paymentMethodId))),
      );

      const [intent] = intentsOf(reservation.reservationId);
      expect(failure).toEqual({
        type: 'PAYMENT_DECLINED',
        nonRetryable: true,
        details: { declineCode, paymentIntentId: intent?.id },
      });
      const [row] = await findPaymentsByReservation(suite.pool, reservation.reservationId);
      expect(row).toMatchObject({ status: 'DECLINED', errorCode: declineCode, paymentIntentId: intent?.id });
    },
  );

  it('charges a second card after a decline as a new attempt with its own key', async () => {
    const reservation = await createReservation(suite.pool);

    await failureOf(suite.activities.chargePayment(chargeInput(reservation, 1, 'pm_card_chargeDeclined')));
    const second = await suite.activities.chargePayment(chargeInput(reservation, 2, 'pm_card_visa'));

    expect(second.status).toBe('succeeded');
    const rows = await findPaymentsByReservation(suite.pool, reservation.reservationId);
    expect(rows.map((row) => [row.attempt, row.status])).toEqual([
      [1, 'DECLINED'],
      [2, 'SUCCEEDED'],
    ]);
    expect(intentsOf(reservation.reservationId)).toHaveLength(2);
  });

  it('charges once when the same attempt runs twice', async () => {
    const reservation = await createReservation(suite.pool);

    const first = await suite.activities.chargePayment(chargeInput(reservation, 1, 'pm_card_visa'));
    const second = await suite.activities.chargePayment(chargeInput(reservation, 1, 'pm_card_visa'));

    expect(second).toEqual(first);
    expect(intentsOf(reservation.reservationId)).toHaveLength(1);
    expect(await findPaymentsByReservation(suite.pool, reservation.reservationId)).toHaveLength(1);
  });

  it('charges once when the answer is lost and the retry carries the same key', async () => {
    const reservation = await createReservation(suite.pool);
    const paymentMethod = ownPaymentMethod();
    suite.fixture.setFault(paymentMethod, { failAfterCharge: true });

    const lost = await failureOf(suite.activities.chargePayment(chargeInput(reservation, 1, paymentMethod)));
    expect(lost).toBeInstanceOf(Stripe.errors.StripeAPIError);
    expect(await findPaymentsByReservation(suite.pool, reservation.reservationId)).toEqual([
      expect.objectContaining({ status: 'FAILED', paymentIntentId: null, errorCode: 'api_error' }),
    ]);

    const retried = await suite.activities.chargePayment(chargeInput(reservation, 1, paymentMethod));

    const intents = intentsOf(reservation.reservationId);
    expect(intents).toHaveLength(1);
    expect(retried).toEqual({ status: 'succeeded', paymentIntentId: intents[0]?.id });
    expect(await findPaymentsByReservation(suite.pool, reservation.reservationId)).toEqual([
      expect.objectContaining({ status: 'SUCCEEDED', paymentIntentId: intents[0]?.id, errorCode: null }),
    ]);
  });

  it('leaves 5xx and 429 answers to the retry policy and succeeds once the gateway recovers', async () => {
    const reservation = await createReservation(suite.pool);
    const paymentMethod = ownPaymentMethod();
    suite.fixture.setFault(paymentMethod, { failWith5xx: 2, rateLimited: 1 });

    const failures: unknown[] = [];
    let result: Awaited<ReturnType<PaymentActivities['chargePayment']>> | undefined;
    while (!result) {
      try {
        result = await suite.activities.chargePayment(chargeInput(reservation, 1, paymentMethod));
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

  describe('verifyPayment', () => {
    it("accepts the checkout's own charge whose answer was lost and completes its audit row", async () => {
      const reservation = await createReservation(suite.pool);
      const paymentMethod = ownPaymentMethod();
      suite.fixture.setFault(paymentMethod, { failAfterCharge: true });
      await failureOf(suite.activities.chargePayment(chargeInput(reservation, 1, paymentMethod)));
      const [intent] = intentsOf(reservation.reservationId);

      const verified = await suite.activities.verifyPayment({
        paymentIntentId: intent?.id ?? '',
        amount: 1000,
        currency: 'EUR',
        reservationId: reservation.reservationId,
      });

      expect(verified).toEqual({ paymentIntentId: intent?.id });
      expect(await findPaymentsByReservation(suite.pool, reservation.reservationId)).toEqual([
        expect.objectContaining({ attempt: 1, status: 'SUCCEEDED', paymentIntentId: intent?.id }),
      ]);
    });

    it('refuses a payment made outside the checkout unless support adopts it, then records it as attempt 0', async () => {
      const reservation = await createReservation(suite.pool);
      const outside = await suite.stripe.paymentIntents.create({
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

      const refused = asFailure(await failureOf(suite.activities.verifyPayment(input)));
      expect(refused).toMatchObject({ type: 'PAYMENT_NOT_VERIFIED', nonRetryable: true });
      expect(await findPaymentsByReservation(suite.pool, reservation.reservationId)).toEqual([]);

      await suite.activities.verifyPayment({ ...input, adoptForeignPayment: true });

      expect(await findPaymentsByReservation(suite.pool, reservation.reservationId)).toEqual([
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
        const reservation = await createReservation(suite.pool);
        const { paymentIntentId } = await suite.activities.chargePayment(
          chargeInput(reservation, 1, 'pm_card_visa'),
        );
        await suite.stripe.refunds.create({ payment_intent: paymentIntentId, amount: refunded });

        const failure = asFailure(
          await failureOf(
            suite.activities.verifyPayment({
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
      const paid = await createReservation(suite.pool);
      const { paymentIntentId } = await suite.activities.chargePayment(chargeInput(paid, 1, 'pm_card_visa'));
      const declinedReservation = await createReservation(suite.pool);
      const declined = await failureOf(
        suite.activities.chargePayment(chargeInput(declinedReservation, 1, 'pm_card_chargeDeclined')),
      );
      const declinedIntentId = (asFailure(declined).details as { paymentIntentId: string }).paymentIntentId;
      const other = await createReservation(suite.pool);

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
        const failure = asFailure(await failureOf(suite.activities.verifyPayment(attempt)));
        expect(failure, JSON.stringify(attempt)).toMatchObject({
          type: 'PAYMENT_NOT_VERIFIED',
          nonRetryable: true,
        });
      }
      expect(await findPaymentsByReservation(suite.pool, other.reservationId)).toEqual([]);
    });
  });

  describe('cancelPayment', () => {
    it('cancels a PaymentIntent that has not succeeded and leaves a succeeded one alone', async () => {
      const open = await suite.stripe.paymentIntents.create({
        amount: 500,
        currency: 'eur',
        payment_method: 'pm_card_visa',
      });
      const paid = await suite.stripe.paymentIntents.create({
        amount: 500,
        currency: 'eur',
        payment_method: 'pm_card_visa',
        confirm: true,
      });

      expect(
        await cancelPayment({ pool: suite.pool, stripe: suite.stripe }, { paymentIntentId: open.id }),
      ).toEqual({
        canceled: true,
        status: 'canceled',
      });
      expect(
        await cancelPayment({ pool: suite.pool, stripe: suite.stripe }, { paymentIntentId: open.id }),
      ).toEqual({
        canceled: true,
        status: 'canceled',
      });
      expect(
        await cancelPayment({ pool: suite.pool, stripe: suite.stripe }, { paymentIntentId: paid.id }),
      ).toEqual({
        canceled: false,
        status: 'succeeded',
      });
      expect(
        await cancelPayment(
          { pool: suite.pool, stripe: suite.stripe },
          { paymentIntentId: 'pi_does_not_exist' },
        ),
      ).toEqual({
        canceled: false,
        status: 'not_found',
      });
    });
  });
});
