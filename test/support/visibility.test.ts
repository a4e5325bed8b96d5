// Support's view of the checkout on the real dev server: the visibility queries of docs/support.md find
// the right reservations (through the Temporal client and through the `temporal` CLI), and the support
// signals and the status query work from the CLI exactly as the runbook writes them.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReservationView } from '../../workflows/reservation/contract';
import { bearer } from '../helpers/app';
import { startTestStack, type TestStack } from '../helpers/stack';
import { listIds, temporal } from './cli';

describe('support visibility and actions', () => {
  let stack: TestStack;
  let support: string;
  const buyerA = `buyer-a-${randomUUID().slice(0, 8)}`;
  const buyerB = `buyer-b-${randomUUID().slice(0, 8)}`;
  // Any `pm_` id charges at the fixture; this one's PaymentIntent hangs in `processing`.
  const hangingCard = `pm_hang_${randomUUID().replaceAll('-', '')}`;
  let eventOne: string;
  let eventTwo: string;
  let eventShortHolds: string;
  let confirmed: { reservationId: string; orderId: string };
  let held: string;
  let heldElsewhere: string;
  let stuck: string;
  let stuckConfirmedAt: Date;

  beforeAll(async () => {
    // While PAYING, HoldExpiresAt is the payment deadline: the later of the buyer's hold expiry and the
    // confirm plus the payment window. Short holds, a 2 s window and a long attempt timer make a hanging
    // payment outlive its deadline, as it does when the gateway is down (retries) or the workers are.
    stack = await startTestStack('visibility', {
      PAYMENT_WINDOW_SECONDS: '2',
      PAYMENT_ATTEMPT_TIMEOUT_SECONDS: '300',
      API_WAIT_MS: '10000',
    });
    support = await bearer('support-ana', 'support');
    stack.fixture.setFault(hangingCard, { hang: true });
    eventOne = await stack.createEvent({ seats: 6, price: 3000 });
    eventTwo = await stack.createEvent({ seats: 6, price: 3000 });
    eventShortHolds = await stack.createEvent({ seats: 6, price: 3000, holdSeconds: 8 });

    confirmed = await stack.buy(eventOne, ['A-1-1'], buyerA);
    held = await hold(eventOne, ['A-1-2'], buyerA);
    heldElsewhere = await hold(eventTwo, ['A-1-1'], buyerA);
    stuck = await hold(eventShortHolds, ['A-1-3'], buyerB);
    stuckConfirmedAt = new Date();
    const paying = await stack.call(
      'POST',
      `/v1/reservations/${stuck}/confirm`,
      await bearer(buyerB, 'buyer'),
      { paymentMethodId: hangingCard },
      { 'idempotency-key': randomUUID() },
    );
    expect(paying.status).toBe(202);
  });

  afterAll(async () => {
    stack?.fixture.clearFaults();
    await stack?.stop();
  });

  async function hold(eventId: string, seatIds: string[], buyerId: string): Promise<string> {
    const answer = await stack.call(
      'POST',
      `/v1/events/${eventId}/reservations`,
      await bearer(buyerId, 'buyer'),
      { seatIds },
      { 'idempotency-key': randomUUID() },
    );
    expect(answer.status).toBe(201);
    return answer.body.id;
  }

  /** The Temporal client's visibility list, as the API or a support tool would call it. */
  async function clientIds(query: string): Promise<string[]> {
    const ids: string[] = [];
    for await (const workflow of stack.temporal.client.workflow.list({ query }))
      ids.push(workflow.workflowId);
    return ids.sort();
  }

  /** Visibility is eventually consistent: wait for both the client and the CLI to see the expected set. */
  async function expectListed(query: string, expected: string[]) {
    const sorted = [...expected].sort();
    await expect.poll(() => clientIds(query), { timeout: 15_000, interval: 250 }).toEqual(sorted);
    await expect.poll(() => listIds(query), { timeout: 15_000, interval: 250 }).toEqual(sorted);
  }

  async function statusFromCli(reservationId: string): Promise<ReservationView> {
    const output = await temporal([
      'workflow',
      'query',
      '--workflow-id',
      reservationId,
      '--name',
      'status',
      '--output',
      'json',
    ]);
    const parsed = JSON.parse(output) as { queryResult: [ReservationView] };
    return parsed.queryResult[0];
  }

  async function signalFromCli(reservationId: string, name: string, input: Record<string, unknown>) {
    await temporal([
      'workflow',
      'signal',
      '--workflow-id',
      reservationId,
      '--name',
      name,
      '--input',
      JSON.stringify(input),
    ]);
  }

  it("finds all of a buyer's reservations: BuyerId = '<buyer>'", async () => {
    await expectListed(`BuyerId = '${buyerA}'`, [confirmed.reservationId, held, heldElsewhere]);
    await expectListed(`BuyerId = '${buyerB}'`, [stuck]);
  });

  it("finds all reservations of an event: EventId = '<event>'", async () => {
    await expectListed(`EventId = '${eventOne}'`, [confirmed.reservationId, held]);
    await expectListed(`EventId = '${eventShortHolds}'`, [stuck]);
    await expectListed(`EventId = '${eventTwo}' AND ReservationStatus = 'HELD'`, [heldElsewhere]);
  });

  it('finds a payment stuck past its window: PAYING with HoldExpiresAt (the payment deadline) passed', async () => {
    // Before the deadline the same filter, cut at the moment of the confirm, does not list it.
    const beforeDeadline = `ReservationStatus = 'PAYING' AND EventId = '${eventShortHolds}' AND HoldExpiresAt < '${stuckConfirmedAt.toISOString()}'`;
    await expect
      .poll(() => clientIds(`ReservationStatus = 'PAYING' AND EventId = '${eventShortHolds}'`))
      .toEqual([stuck]);
    expect(await clientIds(beforeDeadline)).toEqual([]);

    // Once the window has passed, support's stuck queue (any event) lists it, and only what is stuck.
    const stuckQueue = () => `ReservationStatus = 'PAYING' AND HoldExpiresAt < '${new Date().toISOString()}'`;
    await expect.poll(() => clientIds(stuckQueue()), { timeout: 30_000, interval: 500 }).toContain(stuck);
    const fromCli = await listIds(stuckQueue());
    expect(fromCli).toContain(stuck);
    expect(fromCli).not.toContain(held);
    expect(fromCli).not.toContain(confirmed.reservationId);
    expect((await statusFromCli(stuck)).status).toBe('PAYING');
  });

  it("finds the reservation of a PaymentIntent and of an order: PaymentIntentId = 'pi_…', OrderId = 'ord_…'", async () => {
    const order = await stack.call('GET', `/v1/orders/${confirmed.orderId}`, support);
    expect(order.body.paymentIntentId).toMatch(/^pi_/);
    await expectListed(`PaymentIntentId = '${order.body.paymentIntentId}'`, [confirmed.reservationId]);
    await expectListed(`OrderId = '${confirmed.orderId}'`, [confirmed.reservationId]);
    // The admin endpoint finds the same order from Postgres, by buyer, seat or PaymentIntent.
    for (const query of [
      `buyerId=${buyerA}`,
      `paymentIntentId=${order.body.paymentIntentId}`,
      `seatId=A-1-1&eventId=${eventOne}`,
    ]) {
      const found = await stack.call('GET', `/v1/admin/orders?${query}`, support);
      expect(found.body.items.map((item: { id: string }) => item.id)).toEqual([confirmed.orderId]);
    }
  });

  it('reads the full state with `temporal workflow query --name status`', async () => {
    const view = await statusFromCli(confirmed.reservationId);
    expect(view).toMatchObject({
      id: confirmed.reservationId,
      buyerId: buyerA,
      eventId: eventOne,
      status: 'CONFIRMED',
      orderId: confirmed.orderId,
      amount: 3000,
      currency: 'EUR',
      seats: [{ id: 'A-1-1', price: 3000 }],
      payment: { attempts: 1, paymentIntentId: expect.stringMatching(/^pi_/) },
    });
  });

  it('extends a hold and then releases it with CLI signals, both recorded with the operator', async () => {
    const before = await statusFromCli(held);
    await signalFromCli(held, 'extendHold', {
      reason: 'buyer on the phone with support',
      operator: 'ana',
      seconds: 900,
    });
    await expect
      .poll(async () => (await statusFromCli(held)).supportActions?.map((action) => action.action))
      .toEqual(['extendHold']);
    const extended = await statusFromCli(held);
    expect(Date.parse(extended.expiresAt as string)).toBeGreaterThan(Date.parse(before.expiresAt as string));

    await signalFromCli(held, 'forceRelease', { reason: 'abandoned checkout', operator: 'ana' });

    await expect.poll(async () => (await statusFromCli(held)).status).toBe('RELEASED');
    const released = await statusFromCli(held);
    expect(released.reason).toBe('force-released by ana: abandoned checkout');
    expect(released.supportActions?.at(-1)).toMatchObject({
      action: 'forceRelease',
      operator: 'ana',
      outcome: 'released',
    });
    const { rows } = await stack.stores.pool.query(
      `select s.status, e.actor, e.reason from seats s
         join seat_events e on e.event_id = s.event_id and e.seat_id = s.seat_id and e.to_status = 'available'
        where s.event_id = $1 and s.seat_id = 'A-1-2'`,
      [eventOne],
    );
    expect(rows).toEqual([
      { status: 'available', actor: 'ana', reason: 'force-released by ana: abandoned checkout' },
    ]);
    await expectListed(`BuyerId = '${buyerA}' AND ReservationStatus = 'RELEASED'`, [held]);
  });

  it('releases the stuck payment with a CLI forceRelease: the PaymentIntent is canceled, no money kept', async () => {
    await signalFromCli(stuck, 'forceRelease', { reason: 'gateway hang, buyer retrying', operator: 'ana' });

    await expect.poll(async () => (await statusFromCli(stuck)).status, { timeout: 20_000 }).toBe('RELEASED');
    const view = await statusFromCli(stuck);
    expect(view.supportActions?.at(-1)).toMatchObject({
      action: 'forceRelease',
      outcome: 'released during payment; payment not taken',
    });
    const intents = stack.fixture
      .paymentIntents()
      .filter((intent) => intent.metadata.reservationId === stuck);
    expect(intents.map((intent) => intent.status)).toEqual(['canceled']);
  });

  it('confirms with a payment made outside the checkout via a CLI forceConfirm that adopts it (buyer charged, no ticket)', async () => {
    const view = await statusFromCli(heldElsewhere);
    // The buyer paid outside the checkout (say, a payment link support sent): Stripe has the money.
    const intent = await stack.stripe.paymentIntents.create({
      amount: view.amount,
      currency: 'eur',
      payment_method: 'pm_card_visa',
      confirm: true,
      automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
    });
    expect(intent.status).toBe('succeeded');

    const request = { reason: 'paid by payment link', operator: 'ana', paymentIntentId: intent.id };
    // It carries none of the checkout's metadata: refused unless support adopts it explicitly.
    await signalFromCli(heldElsewhere, 'forceConfirm', request);
    await signalFromCli(heldElsewhere, 'forceConfirm', { ...request, adoptForeignPayment: true });

    await expect.poll(async () => (await statusFromCli(heldElsewhere)).status).toBe('CONFIRMED');
    const after = await statusFromCli(heldElsewhere);
    expect(after.supportActions?.slice(-2)).toMatchObject([
      { action: 'forceConfirm', outcome: expect.stringMatching(/^rejected: .*adoptForeignPayment/) },
      {
        action: 'forceConfirm',
        outcome: `confirmed with ${intent.id}, adopted by support as a payment made outside the checkout`,
      },
    ]);
    const order = await stack.call('GET', `/v1/orders/${after.orderId}`, support);
    expect(order.body).toMatchObject({ status: 'PAID', paymentIntentId: intent.id, amount: 3000 });
    await expectListed(`PaymentIntentId = '${intent.id}'`, [heldElsewhere]);
  });
});
