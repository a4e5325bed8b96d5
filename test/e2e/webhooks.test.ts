// Stripe webhooks end to end: signature checks, once-only processing, and money that arrives after its
// reservation ended (sold again when the seats are free, refunded when they are not).
import { randomUUID } from 'node:crypto';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { latePaymentWorkflowId } from '../../workflows/late-payment/contract';
import { bearer } from '../helpers/app';
import { startTestStack, type TestStack } from '../helpers/stack';
import { recordHistory } from '../workflows/saga-harness';

const webhookSecret = 'whsec_test_boxoffice';

describe('Stripe webhooks', () => {
  let stack: TestStack;
  beforeAll(async () => {
    // A short grace: the safety net behind a signalled charge wakes that long after the webhook.
    stack = await startTestStack('webhooks', {
      STRIPE_WEBHOOK_SECRET: webhookSecret,
      HOLD_GRACE_SECONDS: '2',
    });
  });
  afterAll(async () => {
    await stack.stop();
  });

  async function deliver(
    event: { id: string; type: string; paymentIntentId: string },
    secret = webhookSecret,
  ) {
    const payload = JSON.stringify({
      id: event.id,
      object: 'event',
      type: event.type,
      created: Math.floor(Date.now() / 1000),
      data: { object: { id: event.paymentIntentId, object: 'payment_intent' } },
    });
    const signature = Stripe.webhooks.generateTestHeaderString({ payload, secret });
    const response = await stack.app.request('/v1/webhooks/stripe', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'stripe-signature': signature },
      body: payload,
    });
    // biome-ignore lint/suspicious/noExplicitAny: the test reads whatever JSON the endpoint answers.
    return { status: response.status, body: (await response.json()) as any };
  }

  /** A charge made outside the checkout's own attempt, e.g. one that completed after 3-D Secure. */
  async function chargeOutOfBand(reservationId: string, amount: number) {
    return stack.stripe.paymentIntents.create(
      {
        amount,
        currency: 'eur',
        payment_method: 'pm_card_visa',
        confirm: true,
        automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
        metadata: { reservationId },
      },
      { idempotencyKey: randomUUID() },
    );
  }

  async function holdOne(eventId: string, seatId: string, buyer: string) {
    const held = await stack.call(
      'POST',
      `/v1/events/${eventId}/reservations`,
      await bearer(buyer, 'buyer'),
      { seatIds: [seatId] },
      {
        'idempotency-key': randomUUID(),
      },
    );
    expect(held.status).toBe(201);
    return held.body as { id: string; amount: number };
  }

  it('refuses a payload whose signature does not match, and records nothing', async () => {
    const id = `evt_${randomUUID()}`;
    const answer = await deliver(
      { id, type: 'payment_intent.succeeded', paymentIntentId: 'pi_forged' },
      'whsec_wrong',
    );
    expect(answer.status).toBe(400);
    expect(answer.body.code).toBe('WEBHOOK_SIGNATURE_INVALID');
    const { rowCount } = await stack.stores.pool.query('select 1 from webhook_events where id = $1', [id]);
    expect(rowCount).toBe(0);
  });

  it('confirms a held reservation when its payment succeeds asynchronously', async () => {
    const eventId = await stack.createEvent({ seats: 2 });
    const reservation = await holdOne(eventId, 'A-1-1', `async-${randomUUID().slice(0, 6)}`);
    const intent = await chargeOutOfBand(reservation.id, reservation.amount);
    const answer = await deliver({
      id: `evt_${randomUUID()}`,
      type: 'payment_intent.succeeded',
      paymentIntentId: intent.id,
    });
    expect(answer.body.outcome).toBe(`signalled ${reservation.id}; late payment safety net set`);
    const result = await stack.temporal.client.workflow.getHandle(reservation.id).result();
    expect(result).toMatchObject({ status: 'CONFIRMED', payment: { paymentIntentId: intent.id } });
    // The safety net finds the charge settled by the checkout and leaves it alone.
    const safetyNet = stack.temporal.client.workflow.getHandle(latePaymentWorkflowId(intent.id));
    expect(await safetyNet.result()).toBe('already-sold');
  });

  it('keeps no money without a ticket when the checkout is terminated right after its charge was signalled', async () => {
    const eventId = await stack.createEvent({ seats: 2 });
    const buyer = `terminated-${randomUUID().slice(0, 6)}`;
    const reservation = await holdOne(eventId, 'A-1-2', buyer);
    const intent = await chargeOutOfBand(reservation.id, reservation.amount);
    const answer = await deliver({
      id: `evt_${randomUUID()}`,
      type: 'payment_intent.succeeded',
      paymentIntentId: intent.id,
    });
    expect(answer.body.outcome).toMatch(/^signalled /);
    // An operator's Terminate: no workflow code runs after it, whatever the signal had started.
    await stack.temporal.client.workflow
      .getHandle(reservation.id)
      .terminate('operator test')
      .catch(() => {}); // it may have confirmed already; the money must be right either way

    const outcome = await stack.temporal.client.workflow.getHandle(latePaymentWorkflowId(intent.id)).result();
    expect(['sold', 'already-sold']).toContain(outcome);
    const { rows } = await stack.stores.pool.query(
      'select payment_intent_id from orders where reservation_id = $1',
      [reservation.id],
    );
    expect(rows).toEqual([{ payment_intent_id: intent.id }]);
    const refunds = await stack.stripe.refunds.list({ payment_intent: intent.id });
    expect(refunds.data).toEqual([]);
  });

  it('sells the seats again to a payment that arrives after the hold expired, once per event id', async () => {
    const eventId = await stack.createEvent({ seats: 2, holdSeconds: 5 });
    const buyer = `late-${randomUUID().slice(0, 6)}`;
    const reservation = await holdOne(eventId, 'A-1-1', buyer);
    await stack.temporal.client.workflow.getHandle(reservation.id).result();
    const intent = await chargeOutOfBand(reservation.id, reservation.amount);

    const stripeEventId = `evt_${randomUUID()}`;
    const first = await deliver({
      id: stripeEventId,
      type: 'payment_intent.succeeded',
      paymentIntentId: intent.id,
    });
    expect(first.body.outcome).toMatch(/^late payment workflow/);
    const again = await deliver({
      id: stripeEventId,
      type: 'payment_intent.succeeded',
      paymentIntentId: intent.id,
    });
    expect(again.body.outcome).toMatch(/^duplicate/);

    const outcome = await stack.temporal.client.workflow.getHandle(latePaymentWorkflowId(intent.id)).result();
    expect(outcome).toBe('sold');
    recordHistory(latePaymentWorkflowId(intent.id), 'late-payment-sold-waited-for-reservation');
    const read = await stack.call('GET', `/v1/reservations/${reservation.id}`, await bearer(buyer, 'buyer'));
    expect(read.body).toMatchObject({ status: 'CONFIRMED' });
    const order = await stack.call('GET', `/v1/orders/${read.body.orderId}`, await bearer(buyer, 'buyer'));
    expect(order.body).toMatchObject({ status: 'PAID', paymentIntentId: intent.id });
    expect(order.body.tickets.map((ticket: { seatId: string }) => ticket.seatId)).toEqual(['A-1-1']);
  });

  it('refunds a payment that arrives after the hold expired when its seats were sold to someone else', async () => {
    const eventId = await stack.createEvent({ seats: 2, holdSeconds: 5 });
    const reservation = await holdOne(eventId, 'A-1-2', `late-${randomUUID().slice(0, 6)}`);
    await stack.temporal.client.workflow.getHandle(reservation.id).result();
    await holdOne(eventId, 'A-1-2', `quick-${randomUUID().slice(0, 6)}`);
    const intent = await chargeOutOfBand(reservation.id, reservation.amount);

    await deliver({
      id: `evt_${randomUUID()}`,
      type: 'payment_intent.succeeded',
      paymentIntentId: intent.id,
    });
    const outcome = await stack.temporal.client.workflow.getHandle(latePaymentWorkflowId(intent.id)).result();
    expect(outcome).toBe('refunded');
    const { rows } = await stack.stores.pool.query(
      'select amount, status from refunds where payment_intent_id = $1',
      [intent.id],
    );
    expect(rows).toEqual([{ amount: reservation.amount, status: 'SUCCEEDED' }]);
    const refunds = await stack.stripe.refunds.list({ payment_intent: intent.id });
    expect(refunds.data.map((refund) => refund.amount)).toEqual([reservation.amount]);
  });
});
