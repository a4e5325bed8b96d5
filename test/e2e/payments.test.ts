// Payments end to end through HTTP, with the Stripe fixture's faults and its webhooks (on, as Stripe
// sends them, and off): a gateway slower than the attempt timer never ends in two charges kept.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
