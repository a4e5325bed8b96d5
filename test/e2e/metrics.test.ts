// The API's and the worker's /metrics after real checkouts: each business counter moves by what was done
// (holds, fast rejections, confirms, declines, refunds, webhooks, rate limits), HTTP requests are counted
// by route template, the worker serves the Temporal SDK's metrics beside its own, and no id ever becomes
// a label. The stack is the real one: app, workers, Temporal, Postgres, Redis and the Stripe fixture.
import { randomUUID } from 'node:crypto';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/platform/logger';
import type { MetricsServer } from '../../src/platform/metrics';
import { installTemporalMetrics, serveWorkerMetrics } from '../../workers/metrics';
import { bearer } from '../helpers/app';
import { type Scrape, scrape } from '../helpers/metrics';
import { startTestStack, type TestStack } from '../helpers/stack';
import { testRuntimeLogger } from '../helpers/temporal';

const webhookSecret = 'whsec_test_metrics';

describe('metrics after a checkout', () => {
  let stack: TestStack;
  let workerServer: MetricsServer;
  let api: { before: Scrape; after: Scrape };
  let worker: { before: Scrape; after: Scrape };
  let eventId: string;
  const ids: string[] = [];

  const workerUrl = () => `http://127.0.0.1:${workerServer.port}/metrics`;
  const post = (path: string, token: string, body: unknown, key = randomUUID()) =>
    stack.call('POST', path, token, body, { 'idempotency-key': key });

  beforeAll(async () => {
    // Before the stack connects to Temporal: only connections made after it emit the SDK's metrics.
    const temporalMetricsUrl = await installTemporalMetrics({ logger: testRuntimeLogger });
    stack = await startTestStack('metrics', { STRIPE_WEBHOOK_SECRET: webhookSecret });
    workerServer = await serveWorkerMetrics({
      metrics: stack.workerMetrics,
      port: 0,
      host: '127.0.0.1',
      temporalMetricsUrl,
      log: createLogger('silent', 'metrics-test'),
    });
    const before = { api: await scrape(stack.app), worker: await scrape(workerUrl()) };

    eventId = await stack.createEvent({ seats: 5 });
    ids.push(eventId);
    // A paid checkout, then a support refund of it.
    const bought = await stack.buy(eventId, ['A-1-1'], `buyer-paid-${randomUUID().slice(0, 6)}`);
    ids.push(bought.reservationId, bought.orderId, bought.buyerId);
    const refunded = await post(`/v1/orders/${bought.orderId}/refunds`, await bearer('sam', 'support'), {
      reason: 'metrics test',
    });
    expect(refunded.status).toBe(200);
    // A declined card: the reservation stays held.
    const decliner = `buyer-declined-${randomUUID().slice(0, 6)}`;
    const declinerToken = await bearer(decliner, 'buyer');
    const held = await post(`/v1/events/${eventId}/reservations`, declinerToken, { seatIds: ['A-1-2'] });
    expect(held.status).toBe(201);
    ids.push(decliner, held.body.id);
    const declined = await post(`/v1/reservations/${held.body.id}/confirm`, declinerToken, {
      paymentMethodId: 'pm_card_chargeDeclined',
    });
    expect(declined.status).toBe(402);
    // Another buyer asks for the held seat 30 times (answered from the seat map), then is rate limited.
    const eager = `buyer-eager-${randomUUID().slice(0, 6)}`;
    const eagerToken = await bearer(eager, 'buyer');
    ids.push(eager);
    for (let attempt = 0; attempt < 30; attempt++) {
      const rejected = await post(`/v1/events/${eventId}/reservations`, eagerToken, { seatIds: ['A-1-2'] });
      expect(rejected.status).toBe(409);
    }
    const limited = await post(`/v1/events/${eventId}/reservations`, eagerToken, { seatIds: ['A-1-2'] });
    expect(limited.status).toBe(429);
    // Webhooks: a forged one, one of a type Boxoffice does not handle, and its repeat.
    const payload = JSON.stringify({ id: `evt_${randomUUID()}`, object: 'event', type: 'customer.created' });
    const webhook = (signature: string) =>
      stack.app.request('/v1/webhooks/stripe', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'stripe-signature': signature },
        body: payload,
      });
    const signed = Stripe.webhooks.generateTestHeaderString({ payload, secret: webhookSecret });
    expect((await webhook('t=1,v1=forged')).status).toBe(400);
    expect((await webhook(signed)).status).toBe(200);
    expect((await webhook(signed)).status).toBe(200);

    api = { before: before.api, after: await scrape(stack.app) };
    worker = { before: before.worker, after: await scrape(workerUrl()) };
  });

  afterAll(async () => {
    await workerServer?.close();
    await stack?.stop();
  });

  const moved = (side: { before: Scrape; after: Scrape }, name: string, labels?: Record<string, string>) =>
    side.after.value(name, labels) - side.before.value(name, labels);

  it('counts holds, confirms and refund requests by outcome and code', () => {
    expect(moved(api, 'boxoffice_holds_total', { outcome: 'held' })).toBe(2);
    expect(moved(api, 'boxoffice_holds_total')).toBe(2);
    expect(moved(api, 'boxoffice_hold_duration_seconds_count', { outcome: 'held' })).toBe(2);
    expect(moved(api, 'boxoffice_confirms_total', { outcome: 'confirmed' })).toBe(1);
    expect(moved(api, 'boxoffice_confirms_total', { outcome: 'rejected', code: 'PAYMENT_DECLINED' })).toBe(1);
    expect(moved(api, 'boxoffice_confirm_duration_seconds_count')).toBe(2);
    expect(moved(api, 'boxoffice_refund_requests_total', { outcome: 'succeeded' })).toBe(1);
  });

  it('counts fast rejections and rate-limited requests apart from the holds', () => {
    expect(moved(api, 'boxoffice_fast_rejections_total', { request: 'seats' })).toBe(30);
    expect(moved(api, 'boxoffice_rate_limited_total', { limit: 'buyer_holds' })).toBe(1);
    expect(moved(api, 'boxoffice_redis_fail_open_total')).toBe(0);
  });

  it('counts webhooks by outcome', () => {
    expect(moved(api, 'boxoffice_webhooks_total', { outcome: 'invalid_signature' })).toBe(1);
    expect(moved(api, 'boxoffice_webhooks_total', { outcome: 'ignored' })).toBe(1);
    expect(moved(api, 'boxoffice_webhooks_total', { outcome: 'duplicate' })).toBe(1);
  });

  it('counts HTTP requests by route template and status', () => {
    const holds = { method: 'POST', route: '/v1/events/:eventId/reservations' };
    expect(moved(api, 'http_requests_total', { ...holds, status: '201' })).toBe(2);
    expect(moved(api, 'http_requests_total', { ...holds, status: '409' })).toBe(30);
    expect(moved(api, 'http_requests_total', { ...holds, status: '429' })).toBe(1);
    const confirm = { method: 'POST', route: '/v1/reservations/:id/confirm' };
    expect(moved(api, 'http_request_duration_seconds_count', { ...confirm, status: '402' })).toBe(1);
  });

  it('counts payments, gateway refunds and activity attempts in the worker', () => {
    expect(moved(worker, 'boxoffice_payments_total', { outcome: 'succeeded' })).toBe(1);
    expect(moved(worker, 'boxoffice_payments_total', { outcome: 'declined' })).toBe(1);
    expect(moved(worker, 'boxoffice_refunds_total', { outcome: 'succeeded' })).toBe(1);
    const queue = stack.config.temporal.taskQueue;
    // Holds are taken by the API before a workflow starts: the worker runs none.
    expect(
      moved(worker, 'boxoffice_activity_attempts_total', {
        activity: 'holdSeats',
        task_queue: queue,
        outcome: 'completed',
      }),
    ).toBe(0);
    expect(
      moved(worker, 'boxoffice_activity_attempts_total', {
        activity: 'completeSale',
        task_queue: queue,
        outcome: 'completed',
      }),
    ).toBe(1);
    expect(
      moved(worker, 'boxoffice_activity_attempts_total', {
        activity: 'chargePayment',
        task_queue: stack.config.temporal.paymentTaskQueue,
        outcome: 'rejected',
        code: 'PAYMENT_DECLINED',
      }),
    ).toBe(1);
    expect(
      worker.after.value('boxoffice_payment_rate_limit_per_second', {
        task_queue: stack.config.temporal.paymentTaskQueue,
      }),
    ).toBe(stack.config.payments.rateLimitPerSecond);
  });

  it("serves the Temporal SDK's task metrics beside the worker's own, with buckets fine enough to alert on", () => {
    const queue = stack.config.temporal.taskQueue;
    expect(
      worker.after.value('temporal_workflow_task_schedule_to_start_latency_seconds_count', {
        task_queue: queue,
      }),
    ).toBeGreaterThan(0);
    expect(worker.after.text).toMatch(
      /temporal_activity_schedule_to_start_latency_seconds_bucket\{[^}]*le="300"/,
    );
  });

  it('reads the seats held past their lease from Postgres at every scrape', async () => {
    const pastLease = async () =>
      (
        await stack.stores.pool.query<{ seats: number }>(
          `select count(*)::int as seats from seats where status = 'held' and held_until < now()`,
        )
      ).rows[0]?.seats ?? 0;
    // The declined checkout still holds A-1-2; its lease now ends in the past, as a vanished workflow's would.
    await stack.stores.pool.query(
      `update seats set held_until = now() - interval '1 minute' where event_id = $1 and seat_id = 'A-1-2'`,
      [eventId],
    );
    const atLeast = await pastLease();
    const gauge = (await scrape(stack.app)).value('boxoffice_seats_held_past_lease');
    const atMost = await pastLease();
    expect(atLeast).toBeGreaterThanOrEqual(1);
    expect(gauge).toBeGreaterThanOrEqual(atLeast);
    expect(gauge).toBeLessThanOrEqual(atMost);
  });

  it('never labels a series with a buyer, reservation, order or event id', () => {
    const values = [...api.after.labelValues(), ...worker.after.labelValues()];
    for (const id of ids)
      expect(
        values.filter((value) => value.includes(id)),
        id,
      ).toEqual([]);
  });
});
