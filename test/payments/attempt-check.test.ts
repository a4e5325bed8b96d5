// The check of one charge attempt with the gateway, after a timeout or a lost answer, against the suite's
// own Stripe fixture: it decides "charged" or "not charged" only once the attempt's own request can no
// longer do anything else (its idempotent request replayed), and cancels what did not succeed.
import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { findPaymentsByReservation } from '../../src/payments/payments';
import { asFailure, createReservation, failureOf, ownPaymentMethod, usePaymentSuite } from './helpers';

describe('payment activities: the attempt check', () => {
  const suite = usePaymentSuite();
  const { chargeInput, intentsOf } = suite;
  const check = (reservationId: string) =>
    suite.activities.checkPaymentAttempt({ reservationId, attempt: 1 });

  it('cancels the PaymentIntent of a hung charge after the caller gives up and reports failed', async () => {
    const reservation = await createReservation(suite.pool);
    const paymentMethod = ownPaymentMethod();
    suite.fixture.setFault(paymentMethod, { hang: true });

    const gaveUp = await failureOf(
      suite.impatientActivities(300).chargePayment(chargeInput(reservation, 1, paymentMethod)),
    );
    expect(gaveUp).toBeInstanceOf(Stripe.errors.StripeConnectionError);
    expect(asFailure(gaveUp).nonRetryable).toBe(false);
    expect(intentsOf(reservation.reservationId)[0]?.status).toBe('processing');
    // A retry meets Stripe's 409 "in progress": left to the retry policy, never a rejection.
    const inProgress = await failureOf(
      suite.activities.chargePayment(chargeInput(reservation, 1, paymentMethod)),
    );
    expect(asFailure(inProgress).nonRetryable).toBe(false);

    const truth = await check(reservation.reservationId);

    const [intent] = intentsOf(reservation.reservationId);
    expect(truth).toEqual({ status: 'failed', paymentIntentId: intent?.id });
    expect(intent).toMatchObject({ status: 'canceled', cancellation_reason: 'abandoned' });
    expect(await findPaymentsByReservation(suite.pool, reservation.reservationId)).toEqual([
      expect.objectContaining({ status: 'CANCELED', paymentIntentId: intent?.id }),
    ]);

    // The gateway finally answering the abandoned request can't turn the canceled attempt into a charge.
    suite.fixture.clearFaults(paymentMethod);
    expect(intentsOf(reservation.reservationId)[0]?.status).toBe('canceled');
  });

  it('waits for a charge still on its way to a slow gateway instead of calling it not charged', async () => {
    const reservation = await createReservation(suite.pool);
    const paymentMethod = ownPaymentMethod();
    suite.fixture.setFault(paymentMethod, { latencyMs: 1500 });
    await failureOf(suite.impatientActivities(300).chargePayment(chargeInput(reservation, 1, paymentMethod)));
    // The caller gave up, the request has not executed yet: no PaymentIntent exists at this moment.
    expect(intentsOf(reservation.reservationId)).toEqual([]);

    const truth = await check(reservation.reservationId);

    const intents = intentsOf(reservation.reservationId);
    expect(intents.map((intent) => intent.status)).toEqual(['succeeded']);
    expect(truth).toEqual({ status: 'succeeded', paymentIntentId: intents[0]?.id });
    expect(await findPaymentsByReservation(suite.pool, reservation.reservationId)).toEqual([
      expect.objectContaining({ status: 'SUCCEEDED', paymentIntentId: intents[0]?.id }),
    ]);
  });

  it('reconciles a charge whose answer was lost to succeeded, without cancelling it', async () => {
    const reservation = await createReservation(suite.pool);
    const paymentMethod = ownPaymentMethod();
    suite.fixture.setFault(paymentMethod, { failAfterCharge: true });
    await failureOf(suite.activities.chargePayment(chargeInput(reservation, 1, paymentMethod)));

    const truth = await check(reservation.reservationId);

    const [intent] = intentsOf(reservation.reservationId);
    expect(truth).toEqual({ status: 'succeeded', paymentIntentId: intent?.id });
    expect(intent?.status).toBe('succeeded');
    expect(await findPaymentsByReservation(suite.pool, reservation.reservationId)).toEqual([
      expect.objectContaining({ status: 'SUCCEEDED', paymentIntentId: intent?.id }),
    ]);
  });

  it('finds the PaymentIntent of an attempt whose stored answer is a server error', async () => {
    const reservation = await createReservation(suite.pool);
    const paymentMethod = ownPaymentMethod();
    suite.fixture.setFault(paymentMethod, { storedServerError: true });
    const lost = await failureOf(suite.activities.chargePayment(chargeInput(reservation, 1, paymentMethod)));
    expect(lost).toBeInstanceOf(Stripe.errors.StripeAPIError);

    const truth = await check(reservation.reservationId);

    const intents = intentsOf(reservation.reservationId);
    expect(intents.map((intent) => intent.status)).toEqual(['succeeded']);
    expect(truth).toEqual({ status: 'succeeded', paymentIntentId: intents[0]?.id });
  });

  it('reports not_found for an attempt that never reached the gateway', async () => {
    const reservation = await createReservation(suite.pool);
    expect(await check(reservation.reservationId)).toEqual({ status: 'not_found' });
    expect(intentsOf(reservation.reservationId)).toEqual([]);
  });

  it('replays an attempt that an outage answered before it executed: the replay is its one execution', async () => {
    const reservation = await createReservation(suite.pool);
    const paymentMethod = ownPaymentMethod();
    suite.fixture.setFault(paymentMethod, { failWith5xx: 1 });
    await failureOf(suite.activities.chargePayment(chargeInput(reservation, 1, paymentMethod)));
    expect(intentsOf(reservation.reservationId)).toEqual([]);

    const truth = await check(reservation.reservationId);

    const intents = intentsOf(reservation.reservationId);
    expect(intents.map((intent) => intent.status)).toEqual(['succeeded']);
    expect(truth).toEqual({ status: 'succeeded', paymentIntentId: intents[0]?.id });
    // The attempt's key is spent: running the attempt again answers the same PaymentIntent.
    const again = await suite.activities.chargePayment(chargeInput(reservation, 1, paymentMethod));
    expect(again.paymentIntentId).toBe(intents[0]?.id);
    expect(intentsOf(reservation.reservationId)).toHaveLength(1);
  });

  it('reports a 3-D Secure charge as requires_action and reconciles it once the buyer completes it', async () => {
    const reservation = await createReservation(suite.pool);

    const pending = await suite.activities.chargePayment(
      chargeInput(reservation, 1, 'pm_card_authenticationRequired'),
    );
    expect(pending.status).toBe('requires_action');
    expect((await findPaymentsByReservation(suite.pool, reservation.reservationId))[0]?.status).toBe(
      'PROCESSING',
    );

    suite.fixture.completeAction(pending.paymentIntentId, 'succeeded');
    const truth = await check(reservation.reservationId);

    expect(truth).toEqual({ status: 'succeeded', paymentIntentId: pending.paymentIntentId });
    expect((await findPaymentsByReservation(suite.pool, reservation.reservationId))[0]?.status).toBe(
      'SUCCEEDED',
    );
  });
});
