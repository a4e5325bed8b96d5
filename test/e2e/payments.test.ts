// Payments end to end through HTTP, with the Stripe fixture's faults and its webhooks (on, as Stripe
// sends them, and off): a gateway slower than the attempt timer never ends in two charges kept.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findPaymentsByIntent } from '../../src/payments/payments';
import { bearer } from '../helpers/app';
import { startTestStack, type TestStack } from '../helpers/stack';

/** What the buyer paid and kept: succeeded PaymentIntents of the reservation net of their refunds. */
function keptCharges(stack: TestStack, reservationId: string) {
  const refunded = new Map<string, number>();
  for (const refund of stack.fixture.refunds()) {
    const intent = String(refund.payment_intent);
    refunded.set(intent, (refunded.get(intent) ?? 0) + refund.amount);
  }
  return stack.fixture
    .paymentIntents()
    .filter((intent) => intent.metadata.reservationId === reservationId && intent.status === 'succeeded')
    .filter((intent) => intent.amount_received > (refunded.get(intent.id) ?? 0))
    .map((intent) => intent.id);
}

describe.each([
  ['off', false],
  ['on', true],
])('a gateway slower than the attempt timer (webhooks %s)', (label, webhooks) => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack(
      `slow-gateway-${label}`,
      { PAYMENT_ATTEMPT_TIMEOUT_SECONDS: '1' },
      { webhooks },
    );
  });
  afterAll(async () => {
    await stack.stop();
  });

  it('keeps exactly one charge when the buyer tries a second card', async () => {
    const eventId = await stack.createEvent({ seats: 2 });
    const buyerId = `slow-${randomUUID().slice(0, 8)}`;
    const token = await bearer(buyerId, 'buyer');
    const post = (path: string, body: unknown) =>
      stack.call('POST', path, token, body, { 'idempotency-key': randomUUID() });
    const held = await post(`/v1/events/${eventId}/reservations`, { seatIds: ['A-1-1'] });
    expect(held.status).toBe(201);
    const slowCard = `pm_slow_${randomUUID().replaceAll('-', '')}`;
    stack.fixture.setFault(slowCard, { latencyMs: 3000 });

    const first = await post(`/v1/reservations/${held.body.id}/confirm`, { paymentMethodId: slowCard });
    // Told "not charged", the buyer tries another card: that must not leave two charges.
    if (first.status !== 200) {
      await post(`/v1/reservations/${held.body.id}/confirm`, { paymentMethodId: 'pm_card_visa' });
    }
    await stack.fixture.idle();
    await stack.temporal.client.workflow.getHandle(held.body.id).result();

    await expect.poll(() => keptCharges(stack, held.body.id), { timeout: 10_000 }).toHaveLength(1);
    const read = await stack.call('GET', `/v1/reservations/${held.body.id}`, token);
    expect(read.body).toMatchObject({
      status: 'CONFIRMED',
      payment: { paymentIntentId: keptCharges(stack, held.body.id)[0] },
    });
  });
});

describe('3-D Secure through HTTP, finished by the webhook', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack('three-d-secure', {}, { webhooks: true });
  });
  afterAll(async () => {
    await stack.stop();
  });

  /** A buyer holding one seat, with their token and a POST that carries a key of its own. */
  async function holdingBuyer() {
    const eventId = await stack.createEvent({ seats: 1 });
    const token = await bearer(`sca-${randomUUID().slice(0, 8)}`, 'buyer');
    const post = (path: string, body: unknown) =>
      stack.call('POST', path, token, body, { 'idempotency-key': randomUUID() });
    const held = await post(`/v1/events/${eventId}/reservations`, { seatIds: ['A-1-1'] });
    expect(held.status).toBe(201);
    const read = () => stack.call('GET', `/v1/reservations/${held.body.id}`, token);
    return { reservationId: held.body.id as string, token, post, read };
  }

  it('answers 202 PAYING with the next action for the owner only, and confirms once the buyer authenticates', async () => {
    const { reservationId, token, post, read } = await holdingBuyer();

    const paying = await post(`/v1/reservations/${reservationId}/confirm`, {
      paymentMethodId: 'pm_card_authenticationRequired',
    });
    expect(paying.status).toBe(202);
    expect(paying.body).toMatchObject({
      status: 'PAYING',
      payment: { nextAction: { type: 'use_stripe_sdk', clientSecret: expect.stringMatching(/_secret_/) } },
    });
    const paymentIntentId = paying.body.payment.paymentIntentId as string;
    expect(paying.body.payment.nextAction.clientSecret).toMatch(new RegExp(`^${paymentIntentId}_secret_`));
    expect((await read()).body.payment.nextAction).toEqual(paying.body.payment.nextAction);
    const support = await bearer('sam-support', 'support');
    const seenBySupport = await stack.call('GET', `/v1/reservations/${reservationId}`, support);
    expect(seenBySupport.body.status).toBe('PAYING');
    expect(seenBySupport.body.payment).not.toHaveProperty('nextAction');

    // The buyer's client finishes the challenge with Stripe; Stripe's webhook tells the checkout.
    stack.fixture.completeAction(paymentIntentId, 'succeeded');
    await expect.poll(async () => (await read()).body.status, { timeout: 15_000 }).toBe('CONFIRMED');
    const confirmed = (await read()).body;
    expect(confirmed.payment).toMatchObject({ paymentIntentId });
    expect(confirmed.payment).not.toHaveProperty('nextAction');
    const order = await stack.call('GET', `/v1/orders/${confirmed.orderId}`, token);
    expect(order.body).toMatchObject({ status: 'PAID', paymentIntentId });
    // Finance reads the same outcome in the payments audit as at the gateway.
    const audit = await findPaymentsByIntent(stack.stores.pool, paymentIntentId);
    expect(audit.map((row) => row.status)).toEqual(['SUCCEEDED']);
  });

  it('holds the seats again when authentication fails, and takes another card', async () => {
    const { reservationId, post, read } = await holdingBuyer();
    const paying = await post(`/v1/reservations/${reservationId}/confirm`, {
      paymentMethodId: 'pm_card_authenticationRequired',
    });
    expect(paying.status).toBe(202);

    stack.fixture.completeAction(paying.body.payment.paymentIntentId, 'failed');
    await expect.poll(async () => (await read()).body.status, { timeout: 15_000 }).toBe('HELD');
    expect((await read()).body.payment).toMatchObject({ attempts: 1, lastError: expect.any(String) });

    const confirmed = await post(`/v1/reservations/${reservationId}/confirm`, {
      paymentMethodId: 'pm_card_visa',
    });
    expect(confirmed.status).toBe(200);
    expect(confirmed.body).toMatchObject({ status: 'CONFIRMED', payment: { attempts: 2 } });
  });
});
