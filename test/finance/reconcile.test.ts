// The reconciliation report names every kind of discrepancy: each test builds one on purpose in an event
// of its own (bad rows written straight into Postgres, money moved at the Stripe fixture behind the
// system's back) and asserts the report says exactly that; a consistent order reconciles to zero. The
// command itself is run once as finance would, for its exit codes and its CSV.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createPaymentActivities } from '../../activities/payments';
import { projectRoot } from '../../scripts/lib/binaries';
import { type StripeFixture, startStripeFixture } from '../../scripts/lib/stripe-fixture';
import { insertOrderTx, upsertReservation } from '../../src/checkout/orders';
import {
  type DiscrepancyCode,
  ledgerCsv,
  type ReconcileScope,
  reconcile,
  summaryText,
} from '../../src/finance/reconcile';
import { commitSeatsTx, holdSeatsTx } from '../../src/inventory/seats';
import { recordPaymentResult, requestPayment } from '../../src/payments/payments';
import { withTransaction } from '../../src/platform/db';
import { createLogger } from '../../src/platform/logger';
import { createStripe, type Stripe } from '../../src/platform/stripe';
import { applyRefundTx } from '../../src/refunds/order-refunds';
import { ReservationStatus as ReservationStatusKey } from '../../workflows/search-attributes';
import { connectTestStores, testConfig } from '../helpers/app';
import { connectTestTemporal, type TestTemporal } from '../helpers/temporal';
import { testDatabaseUrl } from '../helpers/urls';
import { createTestEvent, section } from '../inventory/helpers';

const price = 4200;

describe('reconciliation report', () => {
  const stores = connectTestStores(4);
  const pool = stores.pool;
  let fixture: StripeFixture;
  let stripe: Stripe;
  let temporal: TestTemporal;
  let config: ReturnType<typeof testConfig>;

  beforeAll(async () => {
    fixture = await startStripeFixture({ upstreamUrl: inject('stripeMockUrl') });
    config = testConfig({ STRIPE_API_URL: fixture.url, STRIPE_SECRET_KEY: 'sk_test_reconcile' });
    stripe = createStripe(config.stripe);
    temporal = await connectTestTemporal();
  });
  afterAll(async () => {
    await temporal?.close();
    await fixture?.stop();
    await stores.close();
  });

  const report = (scope: ReconcileScope) => reconcile({ pool, temporal: temporal.client, stripe }, scope);
  const codes = (found: { code: DiscrepancyCode }[]) => [...new Set(found.map((d) => d.code))].sort();

  async function newEvent(seats = 4): Promise<string> {
    return (await createTestEvent(pool, { sections: [section('A', 1, seats, price)] })).id;
  }

  async function charge(eventId: string, reservationId: string, amount: number, attempt = 1) {
    return stripe.paymentIntents.create({
      amount,
      currency: 'eur',
      payment_method: 'pm_card_visa',
      confirm: true,
      automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
      metadata: { reservationId, eventId, attempt: String(attempt) },
    });
  }

  /**
   * A sale the way the checkout makes one, through the same store functions: hold, charge (audited),
   * commit + order + tickets. Returns its ids.
   */
  async function paidOrder(
    eventId: string,
    seatIds: string[],
    options: { forgedPaymentIntentId?: string } = {},
  ) {
    const reservationId = `rsv_${randomUUID().replaceAll('-', '').slice(0, 26)}`;
    const orderId = `ord_${reservationId.slice(4)}`;
    const buyerId = `buyer-${randomUUID().slice(0, 8)}`;
    const hold = await holdSeatsTx(pool, { reservationId, buyerId, eventId, request: { seatIds } });
    const view = {
      id: reservationId,
      eventId,
      buyerId,
      status: 'PAYING' as const,
      seats: hold.seats,
      amount: hold.amount,
      currency: 'EUR',
      expiresAt: null,
    };
    await upsertReservation(pool, view);
    const idempotencyKey = `${reservationId}:charge:1`;
    await requestPayment(pool, {
      reservationId,
      attempt: 1,
      idempotencyKey,
      paymentMethodId: 'pm_card_visa',
      amount: hold.amount,
      currency: 'EUR',
    });
    // A forged sale records a payment the gateway never made.
    const intent = options.forgedPaymentIntentId
      ? { id: options.forgedPaymentIntentId }
      : await charge(eventId, reservationId, hold.amount);
    await recordPaymentResult(pool, idempotencyKey, { status: 'SUCCEEDED', paymentIntentId: intent.id });
    await withTransaction(pool, async (client) => {
      await commitSeatsTx(client, { reservationId, orderId, seatIds });
      await insertOrderTx(client, {
        orderId,
        reservationId,
        eventId,
        buyerId,
        amount: hold.amount,
        currency: 'EUR',
        paymentIntentId: intent.id,
        tickets: seatIds.map((seatId) => ({ seatId, code: `code-${orderId}-${seatId}` })),
      });
    });
    await upsertReservation(pool, { ...view, status: 'CONFIRMED', orderId });
    return { reservationId, orderId, buyerId, paymentIntentId: intent.id, amount: hold.amount };
  }

  it('reconciles a consistent sale with a partial refund to zero discrepancies', async () => {
    const eventId = await newEvent();
    const paid = await paidOrder(eventId, ['A-1-1', 'A-1-2']);
    // The refund the way the refund workflow makes it: gateway call with audit, then the order.
    const gateway = createPaymentActivities({
      pool,
      stripe,
      config,
      log: createLogger('silent', 'reconcile'),
    });
    const refundId = `refund_${paid.orderId}_test`;
    await pool.query(
      `insert into refunds (id, order_id, reservation_id, payment_intent_id, idempotency_key, amount, currency, reason, actor, status)
       values ($1, $2, $3, $4, $5, 1000, 'EUR', 'goodwill', 'support-ana', 'REQUESTED')`,
      [refundId, paid.orderId, paid.reservationId, paid.paymentIntentId, `refund:${refundId}`],
    );
    await gateway.refundPayment({
      refundId,
      reservationId: paid.reservationId,
      orderId: paid.orderId,
      paymentIntentId: paid.paymentIntentId,
      amount: 1000,
      currency: 'EUR',
      reason: 'goodwill',
      actor: 'support-ana',
    });
    await withTransaction(pool, (client) =>
      applyRefundTx(client, { orderId: paid.orderId, refundId, reason: 'goodwill', actor: 'support-ana' }),
    );

    const result = await report({ eventId });

    expect(result.discrepancies).toEqual([]);
    expect(result.totals).toEqual([
      { eventId, currency: 'EUR', charged: 8400, refunded: 1000, net: 7400, orders: 1, validTickets: 2 },
    ]);
    expect(result.counts.orders).toEqual({ PARTIALLY_REFUNDED: 1 });
    expect(result.counts.payments).toEqual({ SUCCEEDED: 1 });
    expect(result.counts.refunds).toEqual({ SUCCEEDED: 1 });
    expect(result.ledger.map((row) => [row.kind, row.amount, row.gatewayStatus, row.auditStatus])).toEqual([
      ['charge', 8400, 'succeeded', 'SUCCEEDED'],
      ['refund', -1000, 'succeeded', 'SUCCEEDED'],
    ]);
    expect(result.ledger[1]).toMatchObject({
      orderId: paid.orderId,
      refundId,
      orderStatus: 'PARTIALLY_REFUNDED',
    });
  });

  it('takes an order sold after its workflow was terminated mid-payment at the money, not the frozen status', async () => {
    const eventId = await newEvent();
    const paid = await paidOrder(eventId, ['A-1-1']);
    // Terminate froze the checkout in PAYING; the late-payment path then sold its charge.
    const handle = await temporal.client.workflow.start('reservationWorkflow', {
      workflowId: paid.reservationId,
      taskQueue: `nobody-polls-${randomUUID()}`,
      args: [],
      typedSearchAttributes: [{ key: ReservationStatusKey, value: 'PAYING' }],
    });
    await handle.terminate('support terminated the checkout');

    const result = await report({ eventId });

    expect(result.discrepancies).toEqual([]);
  });

  it('names money without a ticket: a charge no order stands for', async () => {
    const eventId = await newEvent();
    // Paid through, say, a payment link tagged with the event: Stripe has the money, Boxoffice nothing.
    const stray = await stripe.paymentIntents.create({
      amount: 4200,
      currency: 'eur',
      payment_method: 'pm_card_visa',
      confirm: true,
      automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
      metadata: { eventId },
    });
    // Another stray payment, already refunded in the Stripe dashboard: settled, nothing to name.
    const settled = await stripe.paymentIntents.create({
      amount: 3000,
      currency: 'eur',
      payment_method: 'pm_card_visa',
      confirm: true,
      automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
      metadata: { eventId },
    });
    await stripe.refunds.create({ payment_intent: settled.id });
    // And a checkout whose charge succeeded though the reservation ended without a sale.
    const paid = await paidOrder(eventId, ['A-1-1']);
    await withTransaction(pool, async (client) => {
      await client.query('delete from tickets where order_id = $1', [paid.orderId]);
      await client.query('update payments set order_id = null where reservation_id = $1', [
        paid.reservationId,
      ]);
      await client.query(`update reservations set status = 'EXPIRED', order_id = null where id = $1`, [
        paid.reservationId,
      ]);
      await client.query(
        `update seats set status = 'available', reservation_id = null, buyer_id = null, order_id = null
          where event_id = $1`,
        [eventId],
      );
      await client.query('delete from orders where id = $1', [paid.orderId]);
    });

    const result = await report({ eventId });

    expect(codes(result.discrepancies)).toEqual(['MONEY_WITHOUT_TICKET']);
    expect(result.discrepancies.map((d) => d.paymentIntentId).sort()).toEqual(
      [stray.id, paid.paymentIntentId].sort(),
    );
    expect(result.discrepancies.find((d) => d.paymentIntentId === paid.paymentIntentId)?.message).toBe(
      `${paid.paymentIntentId} kept 4200 EUR for reservation ${paid.reservationId}, and no order stands for it`,
    );
    expect(result.totals).toEqual([
      { eventId, currency: 'EUR', charged: 11_400, refunded: 3000, net: 8400, orders: 0, validTickets: 0 },
    ]);
  });

  it('names tickets without money: an order whose payment never happened, a seat sold to no order', async () => {
    const eventId = await newEvent();
    const paid = await paidOrder(eventId, ['A-1-1'], { forgedPaymentIntentId: 'pi_never_charged' });
    await pool.query(
      `update seats set status = 'sold', reservation_id = 'rsv_ghost', buyer_id = 'ghost', order_id = 'ord_ghost'
        where event_id = $1 and seat_id = 'A-1-2'`,
      [eventId],
    );

    const result = await report({ eventId });

    const missing = result.discrepancies.filter((d) => d.code === 'TICKET_WITHOUT_MONEY');
    expect(missing.map((d) => d.message).sort()).toEqual([
      `order ${paid.orderId} is paid by pi_never_charged, which the payment gateway does not know`,
      'seat A-1-2 is sold to ord_ghost, which does not exist',
    ]);
    expect(codes(result.discrepancies)).toEqual(['TICKET_WITHOUT_MONEY']);
    expect(result.ledger.find((row) => row.kind === 'order')).toMatchObject({
      orderId: paid.orderId,
      gatewayStatus: 'missing',
      discrepancies: 'TICKET_WITHOUT_MONEY',
    });
  });

  it('names an amount mismatch between the order, the gateway and the seats', async () => {
    const eventId = await newEvent();
    const paid = await paidOrder(eventId, ['A-1-1']);
    await pool.query('update orders set amount = 5000 where id = $1', [paid.orderId]);

    const result = await report({ eventId });

    expect(codes(result.discrepancies)).toEqual(['AMOUNT_MISMATCH']);
    expect(result.discrepancies.map((d) => d.message)).toEqual([
      `order ${paid.orderId} is for 5000 EUR, the gateway took 4200 EUR`,
      `order ${paid.orderId} is for 5000 EUR, its 1 seat(s) cost 4200`,
    ]);
  });

  it('names a double charge: a second successful payment for a sold reservation', async () => {
    const eventId = await newEvent();
    const paid = await paidOrder(eventId, ['A-1-1']);
    const second = await charge(eventId, paid.reservationId, paid.amount, 2);
    await requestPayment(pool, {
      reservationId: paid.reservationId,
      attempt: 2,
      idempotencyKey: `${paid.reservationId}:charge:2`,
      paymentMethodId: 'pm_card_visa',
      amount: paid.amount,
      currency: 'EUR',
    });
    await recordPaymentResult(pool, `${paid.reservationId}:charge:2`, {
      status: 'SUCCEEDED',
      paymentIntentId: second.id,
    });

    const result = await report({ eventId });

    expect(result.discrepancies).toEqual([
      {
        code: 'DOUBLE_CHARGE',
        message: `reservation ${paid.reservationId} is paid twice: ${paid.paymentIntentId} (order ${paid.orderId}) and ${second.id} (4200 EUR kept)`,
        eventId,
        reservationId: paid.reservationId,
        orderId: paid.orderId,
        paymentIntentId: second.id,
      },
    ]);
    expect(Object.fromEntries(result.ledger.map((row) => [row.paymentIntentId, row.discrepancies]))).toEqual({
      [paid.paymentIntentId]: '',
      [second.id]: 'DOUBLE_CHARGE',
    });
  });

  it('names refunds not reflected: one made at the gateway only, one recorded but never made', async () => {
    const eventId = await newEvent();
    const refundedAtStripe = await paidOrder(eventId, ['A-1-1']);
    // Someone refunded in the Stripe dashboard: the money went back, Boxoffice never heard.
    const dashboard = await stripe.refunds.create({ payment_intent: refundedAtStripe.paymentIntentId });
    const recordedOnly = await paidOrder(eventId, ['A-1-2']);
    await pool.query(
      `insert into refunds (id, order_id, reservation_id, payment_intent_id, idempotency_key, stripe_refund_id,
                            amount, currency, reason, actor, status)
       values ($1, $2, $3, $4, $5, 're_never_made', 4200, 'EUR', 'typo', 'support-bob', 'SUCCEEDED')`,
      [
        `refund_${recordedOnly.orderId}_x`,
        recordedOnly.orderId,
        recordedOnly.reservationId,
        recordedOnly.paymentIntentId,
        `refund:refund_${recordedOnly.orderId}_x`,
      ],
    );
    await pool.query(`update orders set refunded_amount = 4200, status = 'REFUNDED' where id = $1`, [
      recordedOnly.orderId,
    ]);

    const result = await report({ eventId });

    const notReflected = result.discrepancies
      .filter((d) => d.code === 'REFUND_NOT_REFLECTED')
      .map((d) => d.message);
    expect(notReflected.sort()).toEqual(
      [
        `the gateway refunded 4200 of ${refundedAtStripe.paymentIntentId}, order ${refundedAtStripe.orderId} records 0`,
        `the gateway refunded 4200 EUR of ${refundedAtStripe.paymentIntentId} (${dashboard.id}) with no refunds row`,
        `the gateway refunded 0 of ${recordedOnly.paymentIntentId}, order ${recordedOnly.orderId} records 4200`,
        `refund refund_${recordedOnly.orderId}_x of 4200 is SUCCEEDED in the audit, but the gateway has no such refund (re_never_made)`,
      ].sort(),
    );
    // Follow-on truths: the refunded order's ticket is still valid; the "refunded" one has valid tickets.
    expect(codes(result.discrepancies)).toEqual(['REFUND_NOT_REFLECTED', 'TICKET_WITHOUT_MONEY']);
    expect(result.ledger.find((row) => row.gatewayStatus === 'missing')).toMatchObject({
      kind: 'refund',
      amount: -4200,
      refundId: `refund_${recordedOnly.orderId}_x`,
    });
  });

  it('names the rest: a hold no workflow will release, a ticket for a seat not sold, an audit that disagrees, a refund never settled', async () => {
    const eventId = await newEvent(6);
    // A hold whose reservation has no workflow (written by hand, or its workflow was terminated).
    await holdSeatsTx(pool, {
      reservationId: `rsv_orphan_${randomUUID().slice(0, 8)}`,
      buyerId: 'orphan',
      eventId,
      request: { seatIds: ['A-1-5'] },
    });
    const released = await paidOrder(eventId, ['A-1-1']);
    await pool.query(
      `update seats set status = 'available', reservation_id = null, buyer_id = null, order_id = null
        where event_id = $1 and seat_id = 'A-1-1'`,
      [eventId],
    );
    const unaudited = await paidOrder(eventId, ['A-1-2']);
    await pool.query(`update payments set status = 'FAILED' where reservation_id = $1`, [
      unaudited.reservationId,
    ]);
    const stale = await paidOrder(eventId, ['A-1-3']);
    await pool.query(
      `insert into refunds (id, order_id, reservation_id, payment_intent_id, idempotency_key, amount, currency,
                            reason, actor, status, created_at)
       values ($1, $2, $3, $4, $5, 500, 'EUR', 'goodwill', 'support-cy', 'REQUESTED', now() - interval '1 hour')`,
      [
        `refund_${stale.orderId}_y`,
        stale.orderId,
        stale.reservationId,
        stale.paymentIntentId,
        `refund:${stale.orderId}_y`,
      ],
    );

    const result = await report({ eventId });

    expect(codes(result.discrepancies)).toEqual([
      'HOLD_WITHOUT_WORKFLOW',
      'PAYMENT_AUDIT_MISMATCH',
      'REFUND_UNSETTLED',
      'SEAT_MISMATCH',
    ]);
    const byCode = (code: DiscrepancyCode) => result.discrepancies.filter((d) => d.code === code);
    expect(byCode('HOLD_WITHOUT_WORKFLOW')[0]?.message).toMatch(
      /^seat A-1-5 is held by rsv_orphan_\w+, whose workflow is NOT_FOUND/,
    );
    expect(byCode('SEAT_MISMATCH')[0]).toMatchObject({ orderId: released.orderId });
    expect(byCode('PAYMENT_AUDIT_MISMATCH').map((d) => d.paymentIntentId)).toEqual([
      unaudited.paymentIntentId,
      unaudited.paymentIntentId,
    ]);
    expect(byCode('REFUND_UNSETTLED')[0]).toMatchObject({ refundId: `refund_${stale.orderId}_y` });
  });

  it('writes the ledger as CSV and the summary as text', async () => {
    const eventId = await newEvent();
    const paid = await paidOrder(eventId, ['A-1-1']);
    await pool.query('update orders set amount = 4300 where id = $1', [paid.orderId]);

    const result = await report({ eventId });
    const csv = ledgerCsv(result).trimEnd().split('\n');
    const summary = summaryText(result);

    expect(csv[0]).toBe(
      'eventId,currency,kind,at,reservationId,orderId,paymentIntentId,stripeRefundId,refundId,amount,gatewayStatus,auditStatus,orderStatus,orderAmount,orderRefunded,validTickets,workflowStatus,discrepancies',
    );
    expect(csv[1]).toMatch(
      new RegExp(
        `^${eventId},EUR,charge,[^,]+,${paid.reservationId},${paid.orderId},${paid.paymentIntentId},,,4200,succeeded,SUCCEEDED,PAID,4300,0,1,NOT_FOUND,AMOUNT_MISMATCH$`,
      ),
    );
    expect(summary).toContain(
      `${eventId} EUR: charged 4200, refunded 0, net 4200; 1 order(s), 1 valid ticket(s)`,
    );
    expect(summary).toContain('Discrepancies: 2');
    expect(summary).toContain(
      `AMOUNT_MISMATCH: order ${paid.orderId} is for 4300 EUR, the gateway took 4200 EUR`,
    );
  });

  it('runs as `npm run finance:reconcile`: CSV file, summary, exit 1 on discrepancies, 0 when clean, 2 on bad usage', async () => {
    const clean = await newEvent();
    await paidOrder(clean, ['A-1-1']);
    const broken = await newEvent();
    const paid = await paidOrder(broken, ['A-1-1']);
    await pool.query('update orders set amount = 1 where id = $1', [paid.orderId]);
    const dir = mkdtempSync(join(tmpdir(), 'reconcile-'));
    const env = {
      ...process.env,
      DATABASE_URL: testDatabaseUrl,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      STRIPE_API_URL: fixture.url,
      STRIPE_SECRET_KEY: 'sk_test_reconcile',
    };
    const run = (args: string[]) =>
      promisify(execFile)(
        join(projectRoot, 'node_modules', '.bin', 'tsx'),
        ['scripts/reconcile.ts', ...args],
        {
          cwd: projectRoot,
          env,
          timeout: 60_000,
        },
      ).then(
        (done) => ({ code: 0, ...done }),
        (failed: { code: number; stdout: string; stderr: string }) => failed,
      );

    const [ok, bad, usage] = await Promise.all([
      run(['--event', clean, '--out', join(dir, 'clean.csv')]),
      run(['--event', broken, '--out', join(dir, 'broken.csv')]),
      run(['--event', clean, '--since', '2025-01-01']),
    ]);

    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('Discrepancies: 0');
    expect(readFileSync(join(dir, 'clean.csv'), 'utf8').trimEnd().split('\n')).toHaveLength(2);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain(
      `AMOUNT_MISMATCH: order ${paid.orderId} is for 1 EUR, the gateway took 4200 EUR`,
    );
    expect(readFileSync(join(dir, 'broken.csv'), 'utf8')).toContain('AMOUNT_MISMATCH');
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('give exactly one of --event or --since');
  });
});
