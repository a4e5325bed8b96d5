// End to end through HTTP: the real app, the real worker (bundled workflows, real activities), Postgres,
// Redis, the Temporal dev server and stripe-mock behind the payment fixture. Nothing is mocked.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer } from '../helpers/app';
import { startTestStack, type TestStack } from '../helpers/stack';

describe('checkout end to end', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack('checkout');
  });
  afterAll(async () => {
    await stack.stop();
  });
  const call: TestStack['call'] = (...args) => stack.call(...args);

  const createEvent = (seats: number, holdSeconds?: number) => stack.createEvent({ seats, holdSeconds });

  async function seatStatuses(eventId: string) {
    const { rows } = await stack.stores.pool.query<{ status: string; n: number }>(
      'select status, count(*)::int as n from seats where event_id = $1 group by status',
      [eventId],
    );
    return Object.fromEntries(rows.map((row) => [row.status, row.n]));
  }

  it('holds, confirms with a card and issues an order with signed tickets', async () => {
    const eventId = await createEvent(10);
    const buyer = await bearer('alice-e2e', 'buyer');
    const held = await call(
      'POST',
      `/v1/events/${eventId}/reservations`,
      buyer,
      { seatIds: ['A-1-1', 'A-1-2'] },
      {
        'idempotency-key': randomUUID(),
      },
    );
    expect(held.status).toBe(201);
    expect(held.body).toMatchObject({ status: 'HELD', amount: 8400, currency: 'EUR' });

    const confirmed = await call(
      'POST',
      `/v1/reservations/${held.body.id}/confirm`,
      buyer,
      { paymentMethodId: 'pm_card_visa' },
      {
        'idempotency-key': randomUUID(),
      },
    );
    expect(confirmed.status).toBe(200);
    expect(confirmed.body.status).toBe('CONFIRMED');

    const order = await call('GET', `/v1/orders/${confirmed.body.orderId}`, buyer);
    expect(order.status).toBe(200);
    expect(order.body).toMatchObject({ status: 'PAID', amount: 8400, buyerId: 'alice-e2e' });
    expect(order.body.tickets.map((t: { seatId: string }) => t.seatId)).toEqual(['A-1-1', 'A-1-2']);
    expect(order.body.paymentIntentId).toMatch(/^pi_/);

    const stranger = await call(
      'GET',
      `/v1/orders/${confirmed.body.orderId}`,
      await bearer('mallory', 'buyer'),
    );
    expect(stranger.status).toBe(404);
    const { rows } = await stack.stores.pool.query('select status from payments where reservation_id = $1', [
      held.body.id,
    ]);
    expect(rows).toEqual([{ status: 'SUCCEEDED' }]);
  });

  it('answers a declined card with 402 and keeps the seats held for another card', async () => {
    const eventId = await createEvent(4);
    const buyer = await bearer('bob-e2e', 'buyer');
    const held = await call(
      'POST',
      `/v1/events/${eventId}/reservations`,
      buyer,
      { section: 'A', quantity: 2, adjacent: true },
      {
        'idempotency-key': randomUUID(),
      },
    );
    expect(held.status).toBe(201);
    const declined = await call(
      'POST',
      `/v1/reservations/${held.body.id}/confirm`,
      buyer,
      { paymentMethodId: 'pm_card_chargeDeclined' },
      {
        'idempotency-key': randomUUID(),
      },
    );
    expect(declined.status).toBe(402);
    expect(declined.body.code).toBe('PAYMENT_DECLINED');
    expect((await call('GET', `/v1/reservations/${held.body.id}`, buyer)).body.status).toBe('HELD');
    const paid = await call(
      'POST',
      `/v1/reservations/${held.body.id}/confirm`,
      buyer,
      { paymentMethodId: 'pm_card_visa' },
      {
        'idempotency-key': randomUUID(),
      },
    );
    expect(paid.status).toBe(200);
    expect(paid.body.payment.attempts).toBe(2);
  });

  it('returns the seats to sale when a hold expires', async () => {
    const eventId = await createEvent(3, 5);
    const buyer = await bearer('carol-e2e', 'buyer');
    const held = await call(
      'POST',
      `/v1/events/${eventId}/reservations`,
      buyer,
      { seatIds: ['A-1-3'] },
      {
        'idempotency-key': randomUUID(),
      },
    );
    expect(held.status).toBe(201);
    expect(await seatStatuses(eventId)).toMatchObject({ held: 1 });
    await stack.temporal.client.workflow.getHandle(held.body.id).result();
    expect((await call('GET', `/v1/reservations/${held.body.id}`, buyer)).body.status).toBe('EXPIRED');
    expect(await seatStatuses(eventId)).toEqual({ available: 3 });
    const map = await call('GET', `/v1/events/${eventId}/seats`, buyer);
    expect(map.body.seats.every((seat: { status: string }) => seat.status === 'available')).toBe(true);
  });

  it('sells exactly the seats there are when 500 buyers race for 100 seats', {
    timeout: 600_000,
  }, async () => {
    const seats = 100;
    const buyers = 500;
    const eventId = await createEvent(seats);
    const run = randomUUID().slice(0, 8);
    const attempts = await Promise.all(
      Array.from({ length: buyers }, async (_, index) => {
        const token = await bearer(`rush-${run}-${index}`, 'buyer');
        const seatId = `A-1-${(index % seats) + 1}`;
        let held = await call(
          'POST',
          `/v1/events/${eventId}/reservations`,
          token,
          { seatIds: [seatId] },
          {
            'idempotency-key': `rush-${index}`,
          },
        );
        // Under load a hold may outlast the API's wait budget (202): a client retries with the same key.
        for (let retry = 0; retry < 10 && (held.status === 202 || held.status === 503); retry++) {
          held = await call(
            'POST',
            `/v1/events/${eventId}/reservations`,
            token,
            { seatIds: [seatId] },
            {
              'idempotency-key': `rush-${index}`,
            },
          );
        }
        if (held.status !== 201) return { held };
        const confirmed = await call(
          'POST',
          `/v1/reservations/${held.body.id}/confirm`,
          token,
          { paymentMethodId: 'pm_card_visa' },
          {
            'idempotency-key': `pay-${index}`,
          },
        );
        return { held, confirmed };
      }),
    );
    const winners = attempts.filter((attempt) => attempt.held.status === 201);
    const losers = attempts.filter((attempt) => attempt.held.status !== 201);
    expect(winners).toHaveLength(seats);
    expect(
      losers.every(
        (attempt) => attempt.held.status === 409 && attempt.held.body.code === 'SEATS_UNAVAILABLE',
      ),
    ).toBe(true);
    expect(winners.every((attempt) => attempt.confirmed?.status === 200)).toBe(true);
    expect(await seatStatuses(eventId)).toEqual({ sold: seats });

    const { rows: payments } = await stack.stores.pool.query<{ reservation_id: string; n: number }>(
      `select p.reservation_id, count(*)::int as n from payments p
         join reservations r on r.id = p.reservation_id
        where r.event_id = $1 and p.status = 'SUCCEEDED' group by p.reservation_id`,
      [eventId],
    );
    expect(payments).toHaveLength(seats);
    expect(payments.every((row) => row.n === 1)).toBe(true);
    const { rows: oversold } = await stack.stores.pool.query(
      `select seat_id from tickets where event_id = $1 group by seat_id having count(*) > 1`,
      [eventId],
    );
    expect(oversold).toEqual([]);
  });
});
