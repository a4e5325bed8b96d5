// The checkout saga on a real Temporal dev server, driven through the API's own client module, with
// in-memory activities so each branch (decline, hang, failed commit) can be steered.
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { Checkout } from '../../api/workflows/reservations';
import {
  extendHoldSignal,
  forceConfirmSignal,
  forceReleaseSignal,
  paymentOutcomeSignal,
  type ReservationView,
  statusQuery,
} from '../../workflows/reservation/contract';
import { recordHistory, rejectionOf, sagaHarness } from './saga-harness';

describe('reservation workflow', () => {
  const saga = sagaHarness('saga');
  const { fakes, handle } = saga;
  let checkout: Checkout;
  beforeAll(() => {
    checkout = saga.checkout();
  });

  async function hold(seatIds: string[], buyerId = `buyer-${randomUUID().slice(0, 8)}`) {
    const idempotencyKey = randomUUID();
    const outcome = await checkout.hold({
      eventId: 'evt_saga',
      buyerId,
      idempotencyKey,
      request: { seatIds },
      summary: `${buyerId} test`,
    });
    if (!outcome.settled) throw new Error('hold did not settle');
    return { view: outcome.value, buyerId, idempotencyKey };
  }

  async function settledConfirm(id: string, paymentMethodId: string, key = randomUUID()) {
    const outcome = await checkout.confirm(id, key, paymentMethodId);
    if (!outcome.settled) throw new Error('confirm did not settle');
    return outcome.value;
  }

  /** Awaits the workflow's result, saving its history for the replay test when the run records. */
  async function finish(id: string, name: string): Promise<ReservationView> {
    const result = await handle(id).result();
    recordHistory(id, name);
    return result;
  }

  it('holds, confirms with a card, and ends CONFIRMED with an order', async () => {
    const { view } = await hold(['A-1-1', 'A-1-2']);
    expect(view).toMatchObject({ status: 'HELD', amount: 5000, currency: 'EUR' });
    expect(Date.parse(view.expiresAt ?? '')).toBeGreaterThan(Date.now());

    const confirmed = await settledConfirm(view.id, 'pm_card_visa');
    expect(confirmed.status).toBe('CONFIRMED');
    expect(confirmed.orderId).toMatch(/^ord_/);
    const result = await finish(view.id, 'confirmed');
    expect(result.status).toBe('CONFIRMED');
    const sale = fakes
      .callsTo('completeSale')
      .find((call) => (call.input as { reservationId: string }).reservationId === view.id);
    expect(sale).toBeDefined();
  });

  it('returns the same reservation for a retried POST and refuses the key with another body', async () => {
    const first = await hold(['B-1-1']);
    const again = await checkout.hold({
      eventId: 'evt_saga',
      buyerId: first.buyerId,
      idempotencyKey: first.idempotencyKey,
      request: { seatIds: ['B-1-1'] },
      summary: 'retry',
    });
    expect(again.settled && again.value.id).toBe(first.view.id);
    const reused = await rejectionOf(
      checkout.hold({
        eventId: 'evt_saga',
        buyerId: first.buyerId,
        idempotencyKey: first.idempotencyKey,
        request: { seatIds: ['B-1-2'] },
        summary: 'reuse',
      }),
    );
    expect(reused.code).toBe('IDEMPOTENCY_KEY_REUSED');
    await checkout.cancel(first.view.id);
  });

  it('rejects a hold on taken seats with their ids and ends REJECTED', async () => {
    fakes.script.taken.add('C-1-1');
    const error = await rejectionOf(hold(['C-1-1', 'C-1-2']));
    expect(error.code).toBe('SEATS_UNAVAILABLE');
    expect(error.details).toMatchObject({ unavailableSeatIds: ['C-1-1'] });
    fakes.script.taken.delete('C-1-1');
  });

  it('charges once when the same confirm is sent twice with one Idempotency-Key', async () => {
    const { view } = await hold(['D-1-1']);
    const key = randomUUID();
    const [a, b] = await Promise.all([
      settledConfirm(view.id, 'pm_card_visa', key),
      settledConfirm(view.id, 'pm_card_visa', key),
    ]);
    expect(a.status).toBe('CONFIRMED');
    expect(b.status).toBe('CONFIRMED');
    const charges = fakes
      .callsTo('chargePayment')
      .filter((call) => (call.input as { reservationId: string }).reservationId === view.id);
    expect(charges).toHaveLength(1);
  });

  it('answers a decline with PAYMENT_DECLINED, stays HELD, and confirms with another card', async () => {
    const { view } = await hold(['E-1-1']);
    const declined = await rejectionOf(settledConfirm(view.id, 'pm_card_chargeDeclined'));
    expect(declined.code).toBe('PAYMENT_DECLINED');
    expect((await checkout.read(view.id)).status).toBe('HELD');

    const confirmed = await settledConfirm(view.id, 'pm_card_visa');
    expect(confirmed.status).toBe('CONFIRMED');
    expect(confirmed.payment?.attempts).toBe(2);
    const keys = fakes
      .callsTo('chargePayment')
      .filter((call) => (call.input as { reservationId: string }).reservationId === view.id)
      .map((call) => (call.input as { attempt: number }).attempt);
    expect(keys).toEqual([1, 2]);
    await finish(view.id, 'declined-then-confirmed');
  });

  it('releases the seats when the hold expires, and refuses a confirm after that', async () => {
    fakes.script.holdSeconds = 2;
    const { view } = await hold(['F-1-1']);
    fakes.script.holdSeconds = 60;
    const result = await finish(view.id, 'expired');
    expect(result.status).toBe('EXPIRED');
    expect(
      fakes
        .callsTo('releaseSeats')
        .some((call) => (call.input as { reservationId: string }).reservationId === view.id),
    ).toBe(true);
    const late = await rejectionOf(settledConfirm(view.id, 'pm_card_visa'));
    expect(late.code).toBe('RESERVATION_EXPIRED');
  });

  it('cancels, releasing the seats; cancelling again is fine', async () => {
    const { view } = await hold(['G-1-1']);
    const first = await checkout.cancel(view.id);
    expect(first.settled && first.value.status).toBe('CANCELLED');
    const second = await checkout.cancel(view.id);
    expect(second.settled && second.value.status).toBe('CANCELLED');
    await finish(view.id, 'cancelled');
  });

  it('applies a cancel sent during a payment once that payment has failed', async () => {
    fakes.script.reconcileStatus = 'not_found';
    const { view } = await hold(['O-1-1']);
    const paying = rejectionOf(settledConfirm(view.id, 'pm_hang'));
    await expect.poll(async () => (await checkout.read(view.id)).status).toBe('PAYING');
    const cancelled = await checkout.cancel(view.id);
    expect(cancelled.settled && cancelled.value.status).toBe('CANCELLED');
    expect((await paying).code).toBe('PAYMENT_FAILED');
    await finish(view.id, 'cancelled-during-payment');
  });

  it('answers a confirm that needs authentication at once, PAYING with the next action, and sells when the outcome arrives', async () => {
    const { view } = await hold(['S-1-1']);
    const paying = await settledConfirm(view.id, 'pm_card_authenticationRequired');
    const paymentIntentId = paying.payment?.paymentIntentId ?? '';
    expect(paying).toMatchObject({
      status: 'PAYING',
      payment: { nextAction: { type: 'use_stripe_sdk', clientSecret: `${paymentIntentId}_secret_fake` } },
    });

    await handle(view.id).signal(paymentOutcomeSignal, { paymentIntentId, status: 'succeeded' });
    const result = await finish(view.id, 'three-d-secure-confirmed');
    expect(result).toMatchObject({ status: 'CONFIRMED', payment: { paymentIntentId } });
    expect(result.payment).not.toHaveProperty('nextAction');
  });

  it('refuses to cancel a confirmed reservation', async () => {
    const { view } = await hold(['H-1-1']);
    await settledConfirm(view.id, 'pm_card_visa');
    const error = await rejectionOf(checkout.cancel(view.id));
    expect(error.code).toBe('RESERVATION_CONFIRMED');
  });

  it('times out a hanging payment, checks the attempt with the gateway, and keeps the seats when it was not charged', async () => {
    fakes.script.reconcileStatus = 'not_found';
    const { view } = await hold(['I-1-1']);
    const failed = await rejectionOf(settledConfirm(view.id, 'pm_hang'));
    expect(failed.code).toBe('PAYMENT_FAILED');
    const now = await checkout.read(view.id);
    expect(now.status).toBe('HELD');
    expect(now.payment?.lastError).toMatch(/not charged/);
    expect(
      fakes
        .callsTo('checkPaymentAttempt')
        .some((call) => (call.input as { reservationId: string }).reservationId === view.id),
    ).toBe(true);
    const confirmed = await settledConfirm(view.id, 'pm_card_visa');
    expect(confirmed.status).toBe('CONFIRMED');
    await finish(view.id, 'payment-timeout-not-charged');
  });

  it('times out a hanging payment and sells the seats when the gateway says it succeeded', async () => {
    fakes.script.reconcileStatus = 'succeeded';
    const { view } = await hold(['J-1-1']);
    const confirmed = await settledConfirm(view.id, 'pm_hang');
    fakes.script.reconcileStatus = 'not_found';
    expect(confirmed.status).toBe('CONFIRMED');
    expect(confirmed.payment?.paymentIntentId).toMatch(/^pi_late_/);
    await finish(view.id, 'payment-timeout-charged');
  });

  it('refunds the charge automatically when the seats cannot be committed after payment', async () => {
    fakes.script.commitFails = true;
    const { view } = await hold(['K-1-1']);
    const error = await rejectionOf(settledConfirm(view.id, 'pm_card_visa'));
    fakes.script.commitFails = false;
    expect(error.code).toBe('RESERVATION_NOT_ACTIVE');
    const result = await finish(view.id, 'commit-failed-refunded');
    expect(result.status).toBe('FAILED');
    expect(result.reason).toMatch(/refunded/);
    const refunds = fakes
      .callsTo('refundPayment')
      .filter((call) => (call.input as { refundId: string }).refundId.startsWith(view.id));
    expect(refunds).toHaveLength(1);
    expect(refunds[0]?.input).toMatchObject({ amount: 2500 });
  });

  it('lets support force-release a held reservation, recorded with operator and reason', async () => {
    const { view } = await hold(['L-1-1']);
    await handle(view.id).signal(forceReleaseSignal, { reason: 'abandoned checkout', operator: 'sam' });
    const result = await finish(view.id, 'force-released');
    expect(result.status).toBe('RELEASED');
    expect(result.supportActions?.[0]).toMatchObject({
      action: 'forceRelease',
      operator: 'sam',
      reason: 'abandoned checkout',
    });
    const release = fakes
      .callsTo('releaseSeats')
      .find((call) => (call.input as { reservationId: string }).reservationId === view.id);
    expect(release?.input).toMatchObject({ actor: 'sam' });
  });

  it('takes a hand-typed support signal without operator or reason, and refuses a malformed payment id', async () => {
    const { view } = await hold(['P-1-1']);
    await handle(view.id).signal(forceConfirmSignal, { paymentIntentId: 'not-a-pi' } as never);
    // A release goes before queued commands: send it once the workflow has answered the first signal.
    await vi.waitFor(async () => expect((await checkout.read(view.id)).supportActions).toHaveLength(1), {
      timeout: 10_000,
    });
    await handle(view.id).signal(forceReleaseSignal, {} as never);
    const result = await handle(view.id).result();
    expect(result.status).toBe('RELEASED');
    expect(result.supportActions?.map((action) => [action.action, action.operator, action.outcome])).toEqual([
      [
        'forceConfirm',
        'unknown operator',
        'rejected: paymentIntentId must be a Stripe PaymentIntent id (pi_...)',
      ],
      ['forceRelease', 'unknown operator', 'released'],
    ]);
  });

  it('lets support extend a hold and force-confirm only with a verified payment', async () => {
    const { view } = await hold(['M-1-1']);
    const before = Date.parse(view.expiresAt ?? '');
    // As an operator would: once the workflow runs. Signals that reach it before its first task are
    // delivered in the order their handlers are registered, not the order they were sent.
    await vi.waitFor(() => handle(view.id).query(statusQuery), { timeout: 10_000 });
    await handle(view.id).signal(extendHoldSignal, {
      reason: 'buyer on the phone',
      operator: 'sam',
      seconds: 300,
    });
    await handle(view.id).signal(forceConfirmSignal, {
      reason: 'paid by phone',
      operator: 'sam',
      paymentIntentId: 'pi_unpaid',
    });
    await handle(view.id).signal(forceConfirmSignal, {
      reason: 'paid by phone',
      operator: 'sam',
      paymentIntentId: 'pi_ok_1',
    });
    const result = await finish(view.id, 'force-confirmed');
    expect(result.status).toBe('CONFIRMED');
    expect(Date.parse(result.expiresAt ?? '')).toBeGreaterThanOrEqual(before + 300_000);
    expect(result.supportActions?.map((action) => action.action)).toEqual([
      'extendHold',
      'forceConfirm',
      'forceConfirm',
    ]);
    expect(result.supportActions?.[1]?.outcome).toMatch(/^rejected/);
    expect(result.payment?.paymentIntentId).toBe('pi_ok_1');
    const state = await handle(view.id).query(statusQuery);
    expect(state.orderId).toMatch(/^ord_/);
  });

  it('ends FAILED and releases the seats after the last allowed decline', async () => {
    const { view } = await hold(['N-1-1']);
    for (let attempt = 1; attempt <= 3; attempt++) {
      const error = await rejectionOf(settledConfirm(view.id, 'pm_card_chargeDeclinedInsufficientFunds'));
      expect(error.code).toBe('PAYMENT_DECLINED');
    }
    const result = await handle(view.id).result();
    expect(result.status).toBe('FAILED');
  });
});
