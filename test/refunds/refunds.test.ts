// Refunds end to end: support's POST /v1/orders/{id}/refunds through the refund workflow on the real
// worker, Stripe (fixture), Postgres and the seat map; every rejection is answered before any money moves.
import { randomUUID } from 'node:crypto';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure, defaultPayloadConverter } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refundIdFor } from '../../api/workflows/refunds';
import {
  type RefundWorkflow,
  type RefundWorkflowInput,
  refundWorkflowType,
} from '../../workflows/refund/contract';
import { bearer } from '../helpers/app';
import { startTestStack, type TestStack } from '../helpers/stack';

describe('refunds', () => {
  let stack: TestStack;
  let support: string;

  beforeAll(async () => {
    stack = await startTestStack('refunds');
    support = await bearer('support-ana', 'support');
  });
  afterAll(async () => {
    await stack?.stop();
  });

  function refund(orderId: string, body: unknown, key = randomUUID(), token = support) {
    return stack.call('POST', `/v1/orders/${orderId}/refunds`, token, body, { 'idempotency-key': key });
  }

  async function orderRow(orderId: string) {
    const { rows } = await stack.stores.pool.query<{ status: string; refunded_amount: number }>(
      'select status, refunded_amount from orders where id = $1',
      [orderId],
    );
    return rows[0];
  }

  async function seatsOf(eventId: string) {
    const { rows } = await stack.stores.pool.query<{
      seat_id: string;
      status: string;
      order_id: string | null;
    }>('select seat_id, status, order_id from seats where event_id = $1 order by seat_id', [eventId]);
    return rows;
  }

  async function refundRows(orderId: string) {
    const { rows } = await stack.stores.pool.query<{
      id: string;
      amount: number;
      status: string;
      actor: string;
    }>('select id, amount, status, actor from refunds where order_id = $1 order by created_at', [orderId]);
    return rows;
  }

  async function paymentIntentOf(orderId: string): Promise<string> {
    const order = await stack.call('GET', `/v1/orders/${orderId}`, support);
    return order.body.paymentIntentId;
  }

  const stripeRefundsOf = (paymentIntentId: string) =>
    stack.fixture.refunds().filter((refund) => refund.payment_intent === paymentIntentId);

  it('refunds an order in full: Stripe refund, order REFUNDED, tickets void, seats back on sale', async () => {
    const eventId = await stack.createEvent({ seats: 4, price: 4200 });
    const paid = await stack.buy(eventId, ['A-1-1', 'A-1-2']);

    const answer = await refund(paid.orderId, { reason: 'event postponed' });

    expect(answer.status).toBe(200);
    expect(answer.headers.get('location')).toBe(`/v1/orders/${paid.orderId}/refunds/${answer.body.id}`);
    expect(answer.body).toMatchObject({
      orderId: paid.orderId,
      status: 'SUCCEEDED',
      amount: 8400,
      currency: 'EUR',
      operator: 'support-ana',
      stripeRefundId: expect.stringMatching(/^re_/),
      order: { status: 'REFUNDED', refundedAmount: 8400 },
      releasedSeatIds: ['A-1-1', 'A-1-2'],
    });
    const order = await stack.call('GET', `/v1/orders/${paid.orderId}`, support);
    expect(order.body).toMatchObject({ status: 'REFUNDED', refundedAmount: 8400 });
    expect(order.body.tickets.map((ticket: { status: string }) => ticket.status)).toEqual(['VOID', 'VOID']);
    expect((await seatsOf(eventId)).filter((seat) => seat.status !== 'available')).toEqual([]);
    const { rows: audit } = await stack.stores.pool.query(
      `select seat_id, from_status, to_status, order_id, actor from seat_events
        where event_id = $1 and to_status = 'available' order by seat_id`,
      [eventId],
    );
    expect(audit).toEqual(
      ['A-1-1', 'A-1-2'].map((seatId) => ({
        seat_id: seatId,
        from_status: 'sold',
        to_status: 'available',
        order_id: paid.orderId,
        actor: 'support-ana',
      })),
    );
    // The seat map (what buyers browse) shows them for sale again.
    const map = await stack.call('GET', `/v1/events/${eventId}/seats`, support);
    expect(map.body.seats.every((seat: { status: string }) => seat.status === 'available')).toBe(true);
    expect(await refundRows(paid.orderId)).toEqual([
      { id: answer.body.id, amount: 8400, status: 'SUCCEEDED', actor: 'support-ana' },
    ]);
    expect(stripeRefundsOf(await paymentIntentOf(paid.orderId))).toEqual([
      expect.objectContaining({ id: answer.body.stripeRefundId, amount: 8400, status: 'succeeded' }),
    ]);
    // A returned seat sells again.
    expect((await stack.buy(eventId, ['A-1-1'])).amount).toBe(4200);
  });

  it('names each step in the Temporal UI: the gateway call reads "refund <amount> <currency>"', async () => {
    const eventId = await stack.createEvent({ seats: 2, price: 2500 });
    const paid = await stack.buy(eventId, ['A-1-1']);
    const answer = await refund(paid.orderId, { reason: 'duplicate purchase' });
    expect(answer.status).toBe(200);

    const handle = stack.temporal.client.workflow.getHandle(answer.body.id);
    const history = await handle.fetchHistory();
    const summaries = (history.events ?? [])
      .filter((event) => event.activityTaskScheduledEventAttributes)
      .map((event) => event.userMetadata?.summary)
      .filter((summary) => summary != null)
      .map((summary) => defaultPayloadConverter.fromPayload<string>(summary));
    expect(summaries).toEqual([
      `check order ${paid.orderId} can take the refund`,
      'refund 2500 EUR',
      `apply refund to order ${paid.orderId}`,
    ]);
    const description = await handle.describe();
    expect(description.type).toBe(refundWorkflowType);
    expect(await description.staticSummary()).toBe(
      `refund 2500 EUR (all left) of ${paid.orderId} · by support-ana`,
    );
  });

  it('refunds part of an order, keeps the tickets, then refunds the rest and voids them', async () => {
    const eventId = await stack.createEvent({ seats: 3, price: 4200 });
    const paid = await stack.buy(eventId, ['A-1-1', 'A-1-2']);

    const part = await refund(paid.orderId, { amount: 2500, reason: 'goodwill: bad view' });
    expect(part.status).toBe(200);
    expect(part.body).toMatchObject({
      status: 'SUCCEEDED',
      amount: 2500,
      order: { status: 'PARTIALLY_REFUNDED', refundedAmount: 2500 },
      releasedSeatIds: [],
    });
    expect(await orderRow(paid.orderId)).toEqual({ status: 'PARTIALLY_REFUNDED', refunded_amount: 2500 });
    expect((await seatsOf(eventId)).filter((seat) => seat.status === 'sold')).toHaveLength(2);

    // More than what is left is refused before anything reaches Stripe.
    const tooMuch = await refund(paid.orderId, { amount: 6000, reason: 'too much' });
    expect(tooMuch.status).toBe(422);
    expect(tooMuch.body).toMatchObject({ code: 'REFUND_EXCEEDS_PAYMENT', refundable: 5900 });

    const rest = await refund(paid.orderId, { reason: 'buyer cannot attend after all' });
    expect(rest.status).toBe(200);
    expect(rest.body).toMatchObject({
      amount: 5900,
      order: { status: 'REFUNDED', refundedAmount: 8400 },
      releasedSeatIds: ['A-1-1', 'A-1-2'],
    });
    expect(
      stripeRefundsOf(await paymentIntentOf(paid.orderId))
        .map((r) => r.amount)
        .sort(),
    ).toEqual([2500, 5900]);
    expect((await refundRows(paid.orderId)).map((row) => [row.amount, row.status])).toEqual([
      [2500, 'SUCCEEDED'],
      [5900, 'SUCCEEDED'],
    ]);
  });

  it('answers 422 REFUND_EXCEEDS_PAYMENT for more than was paid, charging and writing nothing', async () => {
    const eventId = await stack.createEvent({ seats: 2, price: 4200 });
    const paid = await stack.buy(eventId, ['A-1-1']);

    const answer = await refund(paid.orderId, { amount: 4201, reason: 'typo' });

    expect(answer.status).toBe(422);
    expect(answer.headers.get('content-type')).toBe('application/problem+json');
    expect(answer.body).toMatchObject({ code: 'REFUND_EXCEEDS_PAYMENT', requested: 4201, refundable: 4200 });
    expect(await refundRows(paid.orderId)).toEqual([]);
    expect(stripeRefundsOf(await paymentIntentOf(paid.orderId))).toEqual([]);
    expect(await orderRow(paid.orderId)).toEqual({ status: 'PAID', refunded_amount: 0 });
  });

  it('answers 409 ALREADY_REFUNDED for a refunded order, charging and writing nothing more', async () => {
    const eventId = await stack.createEvent({ seats: 2, price: 4200 });
    const paid = await stack.buy(eventId, ['A-1-1']);
    expect((await refund(paid.orderId, { reason: 'first' })).status).toBe(200);

    const again = await refund(paid.orderId, { reason: 'second' });
    const partAgain = await refund(paid.orderId, { amount: 100, reason: 'third' });

    expect(again.status).toBe(409);
    expect(again.body.code).toBe('ALREADY_REFUNDED');
    expect(partAgain.status).toBe(409);
    expect(partAgain.body.code).toBe('ALREADY_REFUNDED');
    expect(await refundRows(paid.orderId)).toHaveLength(1);
    expect(stripeRefundsOf(await paymentIntentOf(paid.orderId))).toHaveLength(1);
  });

  it("checks again in the workflow's own step: a refund that got past the API is refused before Stripe", async () => {
    const eventId = await stack.createEvent({ seats: 2, price: 4200 });
    const paid = await stack.buy(eventId, ['A-1-1']);
    expect((await refund(paid.orderId, { reason: 'first' })).status).toBe(200);

    // Started straight on Temporal, as a request racing the first one past the API's check would be.
    const refundId = refundIdFor(paid.orderId, randomUUID());
    const input: RefundWorkflowInput = {
      refundId,
      orderId: paid.orderId,
      reason: 'racing duplicate',
      operator: 'support-bob',
      paymentTaskQueue: stack.config.temporal.paymentTaskQueue,
    };
    const failure = await stack.temporal.client.workflow
      .execute<RefundWorkflow>(refundWorkflowType, {
        workflowId: refundId,
        taskQueue: stack.config.temporal.taskQueue,
        args: [input],
      })
      .then(
        () => undefined,
        (error: unknown) => error,
      );

    expect(failure).toBeInstanceOf(WorkflowFailedError);
    const cause = (failure as WorkflowFailedError).cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect((cause as ApplicationFailure).type).toBe('ALREADY_REFUNDED');
    expect(await refundRows(paid.orderId)).toHaveLength(1);
    expect(stripeRefundsOf(await paymentIntentOf(paid.orderId))).toHaveLength(1);
  });

  it('refunds concurrent requests for the whole order exactly once', async () => {
    const eventId = await stack.createEvent({ seats: 2, price: 4200 });
    const paid = await stack.buy(eventId, ['A-1-1']);

    const answers = await Promise.all(
      ['support-ana', 'support-bob', 'support-cy'].map(async (operator) =>
        refund(
          paid.orderId,
          { reason: `${operator} clicked refund` },
          randomUUID(),
          await bearer(operator, 'support'),
        ),
      ),
    );

    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 409, 409]);
    expect(answers.filter((answer) => answer.status === 409).map((answer) => answer.body.code)).toEqual([
      'ALREADY_REFUNDED',
      'ALREADY_REFUNDED',
    ]);
    expect(stripeRefundsOf(await paymentIntentOf(paid.orderId))).toHaveLength(1);
    expect(await orderRow(paid.orderId)).toEqual({ status: 'REFUNDED', refunded_amount: 4200 });
  });

  it('returns the same refund for a retried request with the same Idempotency-Key', async () => {
    const eventId = await stack.createEvent({ seats: 2, price: 4200 });
    const paid = await stack.buy(eventId, ['A-1-1']);
    const key = randomUUID();

    const first = await refund(paid.orderId, { amount: 1000, reason: 'late start' }, key);
    const retry = await refund(paid.orderId, { amount: 1000, reason: 'late start' }, key);
    const reused = await refund(paid.orderId, { amount: 2000, reason: 'late start' }, key);

    expect(first.status).toBe(200);
    expect(retry.status).toBe(200);
    expect(retry.body).toEqual(first.body);
    expect(reused.status).toBe(422);
    expect(reused.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(stripeRefundsOf(await paymentIntentOf(paid.orderId))).toHaveLength(1);
    const read = await stack.call('GET', `/v1/orders/${paid.orderId}/refunds/${first.body.id}`, support);
    expect(read.status).toBe(200);
    expect(read.body).toEqual(first.body);
  });

  it("keeps the seats sold on a full refund when the event's policy says refunds don't release them", async () => {
    const eventId = await stack.createEvent({ seats: 2, price: 4200 });
    await stack.stores.pool.query('update events set refund_releases_seats = false where id = $1', [eventId]);
    const paid = await stack.buy(eventId, ['A-1-1']);

    const answer = await refund(paid.orderId, { reason: 'organizer goodwill' });

    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      order: { status: 'REFUNDED', refundedAmount: 4200 },
      releasedSeatIds: [],
    });
    expect((await seatsOf(eventId)).find((seat) => seat.seat_id === 'A-1-1')).toMatchObject({
      status: 'sold',
      order_id: paid.orderId,
    });
    const order = await stack.call('GET', `/v1/orders/${paid.orderId}`, support);
    expect(order.body.tickets).toEqual([expect.objectContaining({ seatId: 'A-1-1', status: 'VALID' })]);
  });

  it('refuses bad requests without touching anything', async () => {
    const eventId = await stack.createEvent({ seats: 2, price: 4200 });
    const paid = await stack.buy(eventId, ['A-1-1']);
    const buyer = await bearer(paid.buyerId, 'buyer');

    const cases = [
      { answer: await refund(paid.orderId, { reason: 'mine' }, randomUUID(), buyer), status: 403 },
      { answer: await refund(paid.orderId, { amount: 100 }), status: 422 },
      { answer: await refund(paid.orderId, { reason: ' ' }), status: 422 },
      { answer: await refund(paid.orderId, { reason: 'x', amount: 0 }), status: 422 },
      { answer: await refund(paid.orderId, { reason: 'x', amount: 10.5 }), status: 422 },
      { answer: await refund(paid.orderId, { reason: 'x', refundAll: true }), status: 422 },
      {
        answer: await stack.call('POST', `/v1/orders/${paid.orderId}/refunds`, support, { reason: 'no key' }),
        status: 422,
      },
      { answer: await refund('ord_doesnotexist', { reason: 'x' }), status: 404 },
    ];

    expect(cases.map((c) => c.answer.status)).toEqual(cases.map((c) => c.status));
    expect(cases.at(-1)?.answer.body.code).toBe('ORDER_NOT_FOUND');
    expect(await refundRows(paid.orderId)).toEqual([]);
    expect(await orderRow(paid.orderId)).toEqual({ status: 'PAID', refunded_amount: 0 });
  });
});
