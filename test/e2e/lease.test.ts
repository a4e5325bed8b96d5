// Seats are never held forever (DESIGN.md, invariant 5), end to end: Temporal's Cancel is a compensation
// (the seats go back; a payment in flight is sold or not taken), a Terminate leaves seats that return to
// sale once their lease lapses, a stale workflow's commit is refused and its charge refunded, the lease
// follows the workflow's deadline, and the API tells the truth about a checkout whose workflow ended
// abnormally. The real app, workers, Postgres, Redis, Temporal and the Stripe fixture.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extendHoldSignal } from '../../workflows/reservation/contract';
import { bearer } from '../helpers/app';
import { startTestStack, type TestStack } from '../helpers/stack';

// A lease lapses one second past the deadline; a confirm keeps the seats six seconds; an attempt may
// take fifteen, so a slow charge can outlast its lease.
const graceMs = 1000;
const windowMs = 6000;

describe('the hold as a lease', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack('lease', {
      HOLD_GRACE_SECONDS: String(graceMs / 1000),
      PAYMENT_WINDOW_SECONDS: String(windowMs / 1000),
      PAYMENT_ATTEMPT_TIMEOUT_SECONDS: '15',
    });
  });
  afterAll(async () => {
    await stack.stop();
  });

  const handle = (id: string) => stack.temporal.client.workflow.getHandle(id);
  const post = (path: string, token: string, body: unknown) =>
    stack.call('POST', path, token, body, { 'idempotency-key': randomUUID() });
  const hold = (eventId: string, token: string, seatIds: string[]) =>
    post(`/v1/events/${eventId}/reservations`, token, { seatIds });
  const confirm = (id: string, token: string, paymentMethodId: string) =>
    post(`/v1/reservations/${id}/confirm`, token, { paymentMethodId });
  const slowCard = (latencyMs: number) => {
    const paymentMethodId = `pm_slow_${randomUUID().replaceAll('-', '')}`;
    stack.fixture.setFault(paymentMethodId, { latencyMs });
    return paymentMethodId;
  };

  async function seat(eventId: string, seatId: string) {
    const { rows } = await stack.stores.pool.query<{
      status: string;
      reservation_id: string | null;
      held_until: Date | null;
    }>('select status, reservation_id, held_until from seats where event_id = $1 and seat_id = $2', [
      eventId,
      seatId,
    ]);
    return rows[0];
  }

  async function statusShown(eventId: string, seatId: string): Promise<string | undefined> {
    const map = await stack.call('GET', `/v1/events/${eventId}/seats`, await bearer('anyone', 'buyer'));
    return map.body.seats.find((shown: { id: string }) => shown.id === seatId)?.status;
  }

  it('answers GET and DELETE truthfully after a Terminate, and sells the seats again once the lease lapses', async () => {
    const eventId = await stack.createEvent({ seats: 3, holdSeconds: 5 });
    const buyer = await bearer('tess-lease', 'buyer');
    const held = await hold(eventId, buyer, ['A-1-1']);
    expect(held.status).toBe(201);
    const { id } = held.body;
    await handle(id).terminate('stuck checkout, by hand');

    const read = await stack.call('GET', `/v1/reservations/${id}`, buyer);
    expect(read.status).toBe(200);
    expect(read.body.status).toBe('FAILED');
    expect(read.body.reason).toMatch(/terminated/);
    const heldUntil = (await seat(eventId, 'A-1-1'))?.held_until?.getTime() ?? 0;
    expect(read.body.reason).toContain(new Date(heldUntil + graceMs).toISOString());
    expect((await stack.call('DELETE', `/v1/reservations/${id}`, buyer)).status).toBe(204);
    expect((await stack.call('GET', `/v1/reservations/${id}`, buyer)).body.status).toBe('FAILED');

    // No sweeper: the seat map, availability and the hold read the lease where they read the seat.
    await expect.poll(() => statusShown(eventId, 'A-1-1'), { timeout: 15_000 }).toBe('available');
    const availability = await stack.call('GET', `/v1/events/${eventId}/availability`, buyer);
    expect(availability.body.sections[0]).toMatchObject({ available: 3, held: 0 });
    const again = await hold(eventId, await bearer('uma-lease', 'buyer'), ['A-1-1']);
    expect(again.status).toBe(201);
    const { rows: lapse } = await stack.stores.pool.query(
      `select actor, reason from seat_events
        where event_id = $1 and reservation_id = $2 and from_status = 'held' and to_status = 'available'`,
      [eventId, id],
    );
    expect(lapse).toEqual([{ actor: 'system', reason: expect.stringContaining(id) }]);
    const after = await stack.call('GET', `/v1/reservations/${id}`, buyer);
    expect(after.body).toMatchObject({ status: 'FAILED', reason: expect.stringMatching(/back on sale/) });
  });

  it('answers for a reservation Temporal no longer has from Postgres, as ended, never HELD', async () => {
    const eventId = await stack.createEvent({ seats: 1 });
    const id = `rsv_lost_${randomUUID().replaceAll('-', '')}`;
    await stack.stores.pool.query(
      `insert into reservations (id, event_id, buyer_id, status, seat_ids, amount, currency)
       values ($1, $2, 'ida-lease', 'HELD', '{}', 4200, 'EUR')`,
      [id, eventId],
    );
    const buyer = await bearer('ida-lease', 'buyer');
    const read = await stack.call('GET', `/v1/reservations/${id}`, buyer);
    expect(read.body).toMatchObject({
      status: 'FAILED',
      reason: expect.stringMatching(/lost.*back on sale/),
    });
    expect((await stack.call('DELETE', `/v1/reservations/${id}`, buyer)).status).toBe(204);
  });

  it('releases the seats of a HELD reservation on a Temporal Cancel and completes it CANCELLED', async () => {
    const eventId = await stack.createEvent({ seats: 2 });
    const buyer = await bearer('vic-lease', 'buyer');
    const held = await hold(eventId, buyer, ['A-1-1', 'A-1-2']);
    await handle(held.body.id).cancel();
    expect((await handle(held.body.id).result()).status).toBe('CANCELLED');
    expect((await handle(held.body.id).describe()).status.name).toBe('COMPLETED');
    expect(await seat(eventId, 'A-1-1')).toMatchObject({ status: 'available', reservation_id: null });
    const read = await stack.call('GET', `/v1/reservations/${held.body.id}`, buyer);
    expect(read.body).toMatchObject({
      status: 'CANCELLED',
      reason: expect.stringMatching(/cancelled in Temporal/),
    });
  });

  it('sells the seats when a Temporal Cancel meets a payment that goes through', async () => {
    const eventId = await stack.createEvent({ seats: 2 });
    const buyer = await bearer('wes-lease', 'buyer');
    const held = await hold(eventId, buyer, ['A-1-1']);
    const paying = confirm(held.body.id, buyer, slowCard(3000));
    await expect
      .poll(async () => (await stack.call('GET', `/v1/reservations/${held.body.id}`, buyer)).body.status)
      .toBe('PAYING');
    await handle(held.body.id).cancel();
    const result = await handle(held.body.id).result();
    expect(result).toMatchObject({ status: 'CONFIRMED', orderId: expect.stringMatching(/^ord_/) });
    expect((await paying).status).toBe(200);
    const intent = stack.fixture.paymentIntents().find((pi) => pi.metadata.reservationId === held.body.id);
    expect(intent?.status).toBe('succeeded');
    expect(stack.fixture.refunds().filter((refund) => refund.payment_intent === intent?.id)).toEqual([]);
    expect(await seat(eventId, 'A-1-1')).toMatchObject({ status: 'sold' });
  });

  it('takes no money when a Temporal Cancel meets a payment that never answers', async () => {
    const eventId = await stack.createEvent({ seats: 2 });
    const buyer = await bearer('xia-lease', 'buyer');
    const held = await hold(eventId, buyer, ['A-1-1']);
    const paying = confirm(held.body.id, buyer, 'pm_fault_hang');
    await expect
      .poll(async () => (await stack.call('GET', `/v1/reservations/${held.body.id}`, buyer)).body.status)
      .toBe('PAYING');
    await handle(held.body.id).cancel();
    const result = await handle(held.body.id).result();
    expect(result.status).toBe('CANCELLED');
    expect((await paying).status).toBe(402);
    const intents = stack.fixture.paymentIntents().filter((pi) => pi.metadata.reservationId === held.body.id);
    expect(intents.map((pi) => pi.status)).toEqual(['canceled']);
    expect(await seat(eventId, 'A-1-1')).toMatchObject({ status: 'available' });
  });

  it('refuses the commit of a workflow whose lease lapsed, and refunds its charge', async () => {
    const eventId = await stack.createEvent({ seats: 2, holdSeconds: 5 });
    const buyer = await bearer('yan-lease', 'buyer');
    const held = await hold(eventId, buyer, ['A-1-1']);
    // The charge answers after the payment window and the grace: the seat is on sale by then.
    const card = slowCard(windowMs + graceMs + 3000);
    const paying = confirm(held.body.id, buyer, card);
    const rival = await bearer('zoe-lease', 'buyer');
    await expect
      .poll(async () => (await hold(eventId, rival, ['A-1-1'])).status, { timeout: 15_000, interval: 250 })
      .toBe(201);
    // The charge already waits at the gateway; the refund to come need not.
    stack.fixture.clearFaults(card);
    const answered = await paying;
    expect(answered.status).toBe(409);
    expect(answered.body.code).toBe('RESERVATION_NOT_ACTIVE');
    const result = await handle(held.body.id).result();
    expect(result).toMatchObject({ status: 'FAILED', reason: expect.stringMatching(/refunded/) });
    const intent = stack.fixture.paymentIntents().find((pi) => pi.metadata.reservationId === held.body.id);
    expect(intent?.status).toBe('succeeded');
    const refunds = stack.fixture.refunds().filter((refund) => refund.payment_intent === intent?.id);
    expect(refunds.map((refund) => [refund.amount, refund.status])).toEqual([[4200, 'succeeded']]);
    expect((await seat(eventId, 'A-1-1'))?.reservation_id).not.toBe(held.body.id);
  });

  it("moves the seats' lease with the deadline: support's extension, then the payment window", async () => {
    const eventId = await stack.createEvent({ seats: 2, holdSeconds: 5 });
    const buyer = await bearer('abe-lease', 'buyer');
    const held = await hold(eventId, buyer, ['A-1-1']);
    const first = (await seat(eventId, 'A-1-1'))?.held_until?.getTime() ?? 0;
    await handle(held.body.id).signal(extendHoldSignal, {
      reason: 'on the phone',
      operator: 'sam',
      seconds: 60,
    });
    await expect
      .poll(async () => (await seat(eventId, 'A-1-1'))?.held_until?.getTime() ?? 0)
      .toBeGreaterThanOrEqual(first + 59_000);

    const other = await hold(eventId, buyer, ['A-1-2']);
    const before = (await seat(eventId, 'A-1-2'))?.held_until?.getTime() ?? 0;
    const started = Date.now();
    const paying = confirm(other.body.id, buyer, slowCard(2000));
    await expect
      .poll(async () => (await seat(eventId, 'A-1-2'))?.held_until?.getTime() ?? 0)
      .toBeGreaterThanOrEqual(started + windowMs - 100);
    expect(before).toBeLessThan(started + windowMs - 100);
    expect((await paying).status).toBe(200);
    expect(await seat(eventId, 'A-1-2')).toMatchObject({ status: 'sold', held_until: null });
    await stack.call('DELETE', `/v1/reservations/${held.body.id}`, buyer);
  });
});
