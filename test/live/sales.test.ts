// The organizer's sales view (DESIGN.md, Live): only the event's organizer reads it; its figures come
// from Postgres and agree with the reconciliation report; its stream pushes the view when a sale, a
// decline or a refund moves it. On the whole stack: real workflows, payments through stripe-mock.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openSse, type SseEvent } from '../../scripts/lib/sse-client';
import { reconcile } from '../../src/finance/reconcile';
import { bearer } from '../helpers/app';
import { listen, startTestStack, type TestStack } from '../helpers/stack';

describe('sales view', () => {
  let stack: TestStack;
  let organizer: string;
  let server: Awaited<ReturnType<typeof listen>>;
  const closers: (() => void)[] = [];

  beforeAll(async () => {
    stack = await startTestStack('live-sales');
    // The stack's createEvent creates events as this organizer.
    organizer = await bearer('org-live-sales', 'organizer');
    server = await listen((request) => stack.app.fetch(request));
  });
  afterAll(async () => {
    for (const close of closers) close();
    await server?.close();
    await stack?.stop();
  });

  const sales = (eventId: string, token = organizer) =>
    stack.call('GET', `/v1/events/${eventId}/sales`, token);
  const post = (path: string, token: string, body: unknown) =>
    stack.call('POST', path, token, body, { 'idempotency-key': randomUUID() });

  /** A buyer whose card is declined, who then cancels. */
  async function declinedAndCancelled(eventId: string, seatId: string) {
    const buyer = await bearer(`buyer-${randomUUID().slice(0, 8)}`, 'buyer');
    const held = await post(`/v1/events/${eventId}/reservations`, buyer, { seatIds: [seatId] });
    expect(held.status).toBe(201);
    const declined = await post(`/v1/reservations/${held.body.id}/confirm`, buyer, {
      paymentMethodId: 'pm_card_chargeDeclined',
    });
    expect(declined.status).toBe(402);
    expect((await stack.call('DELETE', `/v1/reservations/${held.body.id}`, buyer)).status).toBe(204);
  }

  it('agrees with the reconciliation report after sales, a decline, a cancel and a refund', async () => {
    const eventId = await stack.createEvent({ seats: 8, price: 4200 });
    const first = await stack.buy(eventId, ['A-1-1', 'A-1-2']);
    const second = await stack.buy(eventId, ['A-1-3']);
    await stack.buy(eventId, ['A-1-4']);
    await declinedAndCancelled(eventId, 'A-1-5');
    const support = await bearer('support-live-sales', 'support');
    const refunded = await post(`/v1/orders/${first.orderId}/refunds`, support, { reason: 'cannot attend' });
    expect(refunded.status).toBe(200);
    // A partial refund keeps its ticket: money moves, no seat does.
    const partial = await post(`/v1/orders/${second.orderId}/refunds`, support, {
      amount: 1000,
      reason: 'view',
    });
    expect(partial.status).toBe(200);

    const view = await sales(eventId);
    expect(view.status).toBe(200);
    expect(view.body).toMatchObject({
      eventId,
      currency: 'EUR',
      sections: [
        {
          id: 'A',
          sold: 2,
          held: 0,
          available: 6,
          revenue: 8400,
          tiers: [{ price: 4200, sold: 2, held: 0, available: 6, revenue: 8400 }],
        },
      ],
      seats: { total: 8, sold: 2, held: 0, available: 6 },
      revenue: { gross: 16_800, refunded: 9400, net: 7400 },
      refunds: { count: 2, amount: 9400 },
      orders: { total: 3, paid: 1, partiallyRefunded: 1, refunded: 1, validTickets: 2 },
      funnel: {
        holds: 4,
        confirms: 3,
        declines: 1,
        expiries: 0,
        cancels: 1,
        releases: 0,
        failures: 0,
        open: 0,
      },
    });

    const report = await reconcile(
      { pool: stack.stores.pool, temporal: stack.temporal.client, stripe: stack.stripe },
      { eventId },
    );
    expect(report.discrepancies).toEqual([]);
    expect(report.totals).toEqual([
      {
        eventId,
        currency: 'EUR',
        charged: view.body.revenue.gross,
        refunded: view.body.revenue.refunded,
        net: view.body.revenue.net,
        orders: view.body.orders.total,
        validTickets: view.body.orders.validTickets,
      },
    ]);
    expect(view.body.seats.sold).toBe(report.totals[0]?.validTickets);
    expect(report.counts.orders).toEqual({ PAID: 1, PARTIALLY_REFUNDED: 1, REFUNDED: 1 });
  });

  it("is the event's organizer's alone: another organizer gets 404, a buyer 403, no token 401", async () => {
    const eventId = await stack.createEvent({ seats: 2 });
    const other = await sales(eventId, await bearer('org-someone-else', 'organizer'));
    expect(other.status).toBe(404);
    expect(other.body.code).toBe('EVENT_NOT_FOUND');
    expect((await sales(eventId, await bearer('bob-live-sales', 'buyer'))).status).toBe(403);
    expect((await sales(eventId, '')).status).toBe(401);
    expect((await sales('evt_doesnotexist0000')).status).toBe(404);
    const stream = await stack.app.request(`/v1/events/${eventId}/sales/stream`, {
      headers: { authorization: await bearer('org-someone-else', 'organizer') },
    });
    expect(stream.status).toBe(404);
    expect(stream.headers.get('content-type')).toBe('application/problem+json');
  });

  it('pushes the view on its stream when a hold, a decline or a sale moves it', async () => {
    const eventId = await stack.createEvent({ seats: 4, price: 2500 });
    const pushed: SseEvent[] = [];
    const connection = await openSse(
      `${server.url}/v1/events/${eventId}/sales/stream`,
      (event) => pushed.push(event),
      { authorization: organizer },
    );
    closers.push(connection.close);
    expect(connection.status).toBe(200);
    const views = () =>
      pushed.filter((event) => event.event === 'sales').map((event) => JSON.parse(event.data));
    await vi.waitFor(() => expect(views()).toHaveLength(1));
    expect(views()[0]).toMatchObject({ eventId, funnel: { holds: 0 }, seats: { available: 4 } });

    await declinedAndCancelled(eventId, 'A-1-1');
    await vi.waitFor(() =>
      expect(views().at(-1)).toMatchObject({ funnel: { holds: 1, declines: 1, cancels: 1 } }),
    );
    await stack.buy(eventId, ['A-1-2']);
    await vi.waitFor(
      () =>
        expect(views().at(-1)).toMatchObject({
          funnel: { holds: 2, confirms: 1 },
          revenue: { gross: 2500 },
          seats: { sold: 1, available: 3 },
        }),
      { timeout: 5000 },
    );
    // Pushes are throttled and sent only when the view changed: never two equal views in a row.
    const sent = views().map((view) => JSON.stringify(view));
    expect(sent.every((view, index) => index === 0 || view !== sent[index - 1])).toBe(true);
  });
});
