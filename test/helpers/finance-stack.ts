// Owns the stack the support and finance suites run on: the real app and the real workers (bundled
// workflows, real activities) on the shared Temporal dev server, Postgres and Redis, with a Stripe
// fixture of the suite's own in front of stripe-mock, so its PaymentIntents and refunds are the
// suite's alone. Helpers create events and paid orders through the HTTP API, like a buyer would.
import { randomUUID } from 'node:crypto';
import type { Worker } from '@temporalio/worker';
import { expect, inject } from 'vitest';
import { type StripeFixture, startStripeFixture } from '../../scripts/lib/stripe-fixture';
import type { Config } from '../../src/platform/config';
import { createLogger } from '../../src/platform/logger';
import { createStripe, type Stripe } from '../../src/platform/stripe';
import { createWorkers } from '../../workers/workers';
import { bearer, connectTestStores, createTestApp, testConfig } from './app';
import { connectTestTemporal, type TestTemporal, uniqueTaskQueue } from './temporal';

export interface Answer {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: tests read JSON bodies field by field.
  body: any;
}

export interface Stack {
  config: Config;
  fixture: StripeFixture;
  stripe: Stripe;
  temporal: TestTemporal;
  stores: ReturnType<typeof connectTestStores>;
  call(
    method: string,
    path: string,
    token: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<Answer>;
  createEvent(options?: { seats?: number; price?: number; holdSeconds?: number }): Promise<string>;
  /** Holds and pays for seats as `buyerId`; returns the confirmed reservation. */
  buy(
    eventId: string,
    seatIds: string[],
    buyerId?: string,
  ): Promise<{ reservationId: string; orderId: string; buyerId: string; amount: number }>;
  close(): Promise<void>;
}

/** Starts the stack on its own task queues; `env` overrides configuration (payment window, budget). */
export async function startStack(name: string, env: NodeJS.ProcessEnv = {}): Promise<Stack> {
  const fixture = await startStripeFixture({ upstreamUrl: inject('stripeMockUrl') });
  const stores = connectTestStores(10);
  // The API and the worker are separate processes in production: each gets its own pool here too.
  const workerStores = connectTestStores(10);
  const temporal = await connectTestTemporal();
  const taskQueue = uniqueTaskQueue(name);
  const config = testConfig({
    TEMPORAL_TASK_QUEUE: taskQueue,
    TEMPORAL_PAYMENT_TASK_QUEUE: `${taskQueue}-payments`,
    STRIPE_API_URL: fixture.url,
    STRIPE_SECRET_KEY: 'sk_test_supportfinance',
    PAYMENT_RATE_LIMIT_PER_SECOND: '200',
    API_WAIT_MS: '20000',
    ...env,
  });
  const stripe = createStripe(config.stripe);
  const log = createLogger('error', name);
  const app = createTestApp({ ...stores, temporal: temporal.client, stripe, config, log });
  const workers: Worker[] = await createWorkers({
    connection: temporal.connection,
    config,
    deps: { config, pool: workerStores.pool, redis: workerStores.redis, stripe, log },
    workflowBundlePath: inject('workflowBundlePath'),
    overrides: { shutdownGraceTime: '1s' },
  });
  const running = Promise.all(workers.map((worker) => worker.run()));

  async function call(
    method: string,
    path: string,
    token: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Answer> {
    const response = await app.request(path, {
      method,
      headers: { authorization: token, 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
  }

  return {
    config,
    fixture,
    stripe,
    temporal,
    stores,
    call,

    async createEvent({ seats = 10, price = 4200, holdSeconds = 600 } = {}) {
      const created = await call('POST', '/v1/events', await bearer(`org-${name}`, 'organizer'), {
        name: `${name} ${randomUUID().slice(0, 6)}`,
        venue: 'Support Hall',
        startsAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
        currency: 'EUR',
        holdSeconds,
        maxSeatsPerBuyer: 10,
        sections: [{ id: 'A', name: 'Floor', price, rows: [{ id: '1', seats }] }],
      });
      expect(created.status).toBe(201);
      return created.body.id as string;
    },

    async buy(eventId, seatIds, buyerId = `buyer-${randomUUID().slice(0, 8)}`) {
      const token = await bearer(buyerId, 'buyer');
      const held = await call(
        'POST',
        `/v1/events/${eventId}/reservations`,
        token,
        { seatIds },
        { 'idempotency-key': randomUUID() },
      );
      expect(held.status).toBe(201);
      const confirmed = await call(
        'POST',
        `/v1/reservations/${held.body.id}/confirm`,
        token,
        { paymentMethodId: 'pm_card_visa' },
        { 'idempotency-key': randomUUID() },
      );
      expect(confirmed.status).toBe(200);
      return {
        reservationId: held.body.id,
        orderId: confirmed.body.orderId,
        buyerId,
        amount: confirmed.body.amount,
      };
    },

    async close() {
      for (const worker of workers) worker.shutdown();
      await running;
      await temporal.close();
      await stores.close();
      await workerStores.close();
      await fixture.stop();
    },
  };
}
