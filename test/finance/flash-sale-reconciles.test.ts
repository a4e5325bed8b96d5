// A small flash sale through the whole stack (HTTP, the real worker, Postgres, Redis, the Stripe fixture):
// buyers race, some are declined and pay again, some cancel, support force-releases one and refunds two.
// The reconciliation report then finds zero discrepancies, with the totals the sale must add up to; a
// tampered row afterwards is named.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reconcile } from '../../src/finance/reconcile';
import { forceReleaseSignal } from '../../workflows/reservation/contract';
import { bearer } from '../helpers/app';
import { startTestStack, type TestStack } from '../helpers/stack';

const seats = 20;
const buyers = 40;
const price = 4200;

describe('a flash sale reconciles', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack('flash-reconcile');
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('to zero discrepancies, and names what is tampered with afterwards', { timeout: 240_000 }, async () => {
    const eventId = await stack.createEvent({ seats, price });
    const support = await bearer('support-ana', 'support');

    // 1. The rush: more buyers than seats, one seat each, best available.
    const attempts = await Promise.all(
      Array.from({ length: buyers }, async (_, index) => {
        const buyerId = `rush-${index}-${randomUUID().slice(0, 6)}`;
        const token = await bearer(buyerId, 'buyer');
        const held = await stack.call(
          'POST',
          `/v1/events/${eventId}/reservations`,
          token,
          { section: 'A', quantity: 1 },
          { 'idempotency-key': randomUUID() },
        );
        return { token, held };
      }),
    );
    const winners = attempts.filter((attempt) => attempt.held.status === 201);
    expect(winners).toHaveLength(seats);
    expect(attempts.filter((attempt) => attempt.held.status !== 201).map((a) => a.held.status)).toEqual(
      Array(buyers - seats).fill(409),
    );

    // 2. Each winner's path: two cancel, support force-releases one, three are declined before paying.
    const confirm = (winner: (typeof winners)[number], paymentMethodId: string) =>
      stack.call(
        'POST',
        `/v1/reservations/${winner.held.body.id}/confirm`,
        winner.token,
        { paymentMethodId },
        { 'idempotency-key': randomUUID() },
      );
    const outcomes = await Promise.all(
      winners.map(async (winner, index) => {
        if (index < 2)
          return (await stack.call('DELETE', `/v1/reservations/${winner.held.body.id}`, winner.token)).status;
        if (index === 2) {
          await stack.temporal.client.workflow
            .getHandle(winner.held.body.id)
            .signal(forceReleaseSignal, { reason: 'fraud check failed', operator: 'support-ana' });
          return 'released';
        }
        if (index < 6) expect((await confirm(winner, 'pm_card_chargeDeclined')).status).toBe(402);
        const paid = await confirm(winner, 'pm_card_visa');
        return paid.body.status;
      }),
    );
    expect(outcomes.filter((outcome) => outcome === 'CONFIRMED')).toHaveLength(seats - 3);
    await Promise.all(
      winners.map((winner) => stack.temporal.client.workflow.getHandle(winner.held.body.id).result()),
    );

    // 3. Support refunds one order in full and another in part.
    const orderIds = await Promise.all(
      winners
        .slice(3)
        .map(
          async (winner) =>
            (await stack.call('GET', `/v1/reservations/${winner.held.body.id}`, support)).body
              .orderId as string,
        ),
    );
    const [fullyRefunded, partlyRefunded] = orderIds as [string, string];
    const refund = (orderId: string, body: unknown) =>
      stack.call('POST', `/v1/orders/${orderId}/refunds`, support, body, { 'idempotency-key': randomUUID() });
    expect((await refund(fullyRefunded, { reason: 'cannot attend' })).status).toBe(200);
    expect((await refund(partlyRefunded, { amount: 1000, reason: 'obstructed view' })).status).toBe(200);

    // 4. The books balance.
    const deps = { pool: stack.stores.pool, temporal: stack.temporal.client, stripe: stack.stripe };
    const clean = await reconcile(deps, { eventId });

    expect(clean.discrepancies).toEqual([]);
    expect(clean.totals).toEqual([
      {
        eventId,
        currency: 'EUR',
        charged: 17 * price,
        refunded: price + 1000,
        net: 17 * price - price - 1000,
        orders: 17,
        validTickets: 16,
      },
    ]);
    expect(clean.counts.orders).toEqual({ PAID: 15, PARTIALLY_REFUNDED: 1, REFUNDED: 1 });
    expect(clean.counts.payments).toEqual({ DECLINED: 3, SUCCEEDED: 17 });
    expect(clean.counts.refunds).toEqual({ SUCCEEDED: 2 });
    expect(clean.counts.reservations).toMatchObject({ CONFIRMED: 17, CANCELLED: 2, RELEASED: 1 });
    expect(clean.ledger.filter((row) => row.kind === 'charge')).toHaveLength(17);
    expect(
      clean.ledger
        .filter((row) => row.kind === 'refund')
        .map((row) => row.amount)
        .sort((a, b) => a - b),
    ).toEqual([-price, -1000]);
    expect(clean.ledger.every((row) => row.workflowStatus === 'COMPLETED:CONFIRMED')).toBe(true);
    const { rows: seatCounts } = await stack.stores.pool.query(
      'select status, count(*)::int as n from seats where event_id = $1 group by status order by status',
      [eventId],
    );
    expect(seatCounts).toEqual([
      { status: 'available', n: 4 },
      { status: 'sold', n: 16 },
    ]);

    // 5. Someone edits the books by hand: the report names both edits.
    const tampered = winners[10]?.held.body.id as string;
    await stack.stores.pool.query(`update reservations set status = 'EXPIRED' where id = $1`, [tampered]);
    await stack.stores.pool.query(`update orders set refunded_amount = 0, status = 'PAID' where id = $1`, [
      fullyRefunded,
    ]);
    const dirty = await reconcile(deps, { eventId });

    expect(dirty.discrepancies.map((d) => [d.code, d.message])).toEqual([
      [
        'REFUND_NOT_REFLECTED',
        `the gateway refunded ${price} of ${dirty.discrepancies[0]?.paymentIntentId}, order ${fullyRefunded} records 0`,
      ],
      ['WORKFLOW_MISMATCH', `reservation ${tampered} ended CONFIRMED, Postgres records EXPIRED`],
    ]);
  });
});
