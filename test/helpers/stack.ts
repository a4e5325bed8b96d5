// Owns the in-process Boxoffice stack the end-to-end, refund, support and finance suites run on: the real
// app and the real workers (bundled workflows, real activities) on the shared Temporal dev server, test
// Postgres and Redis, and a Stripe fixture of the suite's own in front of the shared stripe-mock, so its
// PaymentIntents, refunds and faults are the suite's alone. Helpers create events and paid orders
// through the HTTP API, like an organizer and a buyer would.
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Worker } from '@temporalio/worker';
import { expect, inject } from 'vitest';
import { type StripeFixture, startStripeFixture } from '../../scripts/lib/stripe-fixture';
import type { Config } from '../../src/platform/config';
import { createLogger, type Logger } from '../../src/platform/logger';
import { createStripe, type Stripe } from '../../src/platform/stripe';
import { createWorkerMetrics, type WorkerMetrics } from '../../workers/metrics';
import { createWorkers } from '../../workers/workers';
import { bearer, connectTestStores, createTestApp, testConfig } from './app';
import { connectTestTemporal, type TestTemporal, uniqueTaskQueue } from './temporal';

export interface Answer {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: suites read whatever JSON the endpoint under test returns.
  body: any;
}

export interface TestStack {
  app: ReturnType<typeof createTestApp>;
  config: Config;
  fixture: StripeFixture;
  stores: ReturnType<typeof connectTestStores>;
  stripe: Stripe;
  temporal: TestTemporal;
  /** The workers' metrics (every activity attempt); serve them with serveWorkerMetrics to scrape them. */
  workerMetrics: WorkerMetrics;
  /** Calls the API as `token` and parses the JSON answer. */
  call(
    method: string,
    path: string,
    token: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<Answer>;
  /** Creates an event of one section 'A' with one row '1' of `seats` seats; returns its id. */
  createEvent(options?: { seats?: number; price?: number; holdSeconds?: number }): Promise<string>;
  /** Holds and pays for seats as `buyerId`; returns the confirmed reservation. */
  buy(
    eventId: string,
    seatIds: string[],
    buyerId?: string,
  ): Promise<{ reservationId: string; orderId: string; buyerId: string; amount: number }>;
  stop(): Promise<void>;
}

export interface TestStackOptions {
  /** The fixture sends its signed webhooks to the app, served over HTTP on a free port, as Stripe would. */
  webhooks?: boolean;
  /** The app's and the workers' logger (a suite that reads the log lines); errors to stdout otherwise. */
  log?: Logger;
}

const stackWebhookSecret = 'whsec_test_stack';

/**
 * Starts the stack on task queues of its own, named after `name` (as are its log and its organizer);
 * `env` overrides configuration (webhook secret, payment window, API wait budget).
 */
export async function startTestStack(
  name: string,
  env: NodeJS.ProcessEnv = {},
  options: TestStackOptions = {},
): Promise<TestStack> {
  // The receiver listens before the app exists: the fixture must know where to send webhooks.
  let appFetch: (request: Request) => Response | Promise<Response> = () =>
    new Response(null, { status: 503 });
  const receiver = options.webhooks ? await listen((request) => appFetch(request)) : undefined;
  const fixture = await startStripeFixture({
    upstreamUrl: inject('stripeMockUrl'),
    ...(receiver && { webhook: { url: `${receiver.url}/v1/webhooks/stripe`, secret: stackWebhookSecret } }),
  });
  const taskQueue = uniqueTaskQueue(name);
  const config = testConfig({
    TEMPORAL_TASK_QUEUE: taskQueue,
    TEMPORAL_PAYMENT_TASK_QUEUE: `${taskQueue}-payments`,
    STRIPE_API_URL: fixture.url,
    STRIPE_SECRET_KEY: 'sk_test_stack',
    PAYMENT_RATE_LIMIT_PER_SECOND: '200',
    API_WAIT_MS: '20000',
    ...(receiver && { STRIPE_WEBHOOK_SECRET: stackWebhookSecret }),
    ...env,
  });
  // The API and the worker are separate processes in production: each gets its own pool here too,
  // large enough for the suites' rushes of hundreds of buyers.
  const stores = connectTestStores(20);
  const workerStores = connectTestStores(20);
  const temporal = await connectTestTemporal();
  const stripe = createStripe(config.stripe);
  const log = options.log ?? createLogger('error', name);
  const app = createTestApp({ ...stores, temporal: temporal.client, stripe, config, log });
  appFetch = (request) => app.fetch(request);
  const workerMetrics = createWorkerMetrics({ config });
  const workers: Worker[] = await createWorkers({
    connection: temporal.connection,
    config,
    deps: { config, pool: workerStores.pool, redis: workerStores.redis, stripe, log },
    metrics: workerMetrics,
    workflowBundlePath: inject('workflowBundlePath'),
    // The suite is over when it stops the stack: nothing in flight is waited for.
    overrides: { shutdownGraceTime: '1s' },
  });
  const running = Promise.all(workers.map((worker) => worker.run()));

  const call: TestStack['call'] = async (method, path, token, body, headers = {}) => {
    const response = await app.request(path, {
      method,
      headers: { authorization: token, 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
  };
  /** A POST as a client sends it: with an idempotency key of its own. */
  const post = (path: string, token: string, body: unknown) =>
    call('POST', path, token, body, { 'idempotency-key': randomUUID() });

  return {
    app,
    config,
    fixture,
    stores,
    stripe,
    temporal,
    workerMetrics,
    call,

    async createEvent({ seats = 10, price = 4200, holdSeconds = 600 } = {}) {
      const created = await call('POST', '/v1/events', await bearer(`org-${name}`, 'organizer'), {
        name: `${name} ${randomUUID().slice(0, 6)}`,
        venue: 'Test Hall',
        startsAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
        currency: 'EUR',
        holdSeconds,
        maxSeatsPerBuyer: 10,
        sections: [{ id: 'A', name: 'Floor', price, rows: [{ id: '1', seats }] }],
      });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      return created.body.id as string;
    },

    async buy(eventId, seatIds, buyerId = `buyer-${randomUUID().slice(0, 8)}`) {
      const token = await bearer(buyerId, 'buyer');
      const held = await post(`/v1/events/${eventId}/reservations`, token, { seatIds });
      expect(held.status).toBe(201);
      const confirmed = await post(`/v1/reservations/${held.body.id}/confirm`, token, {
        paymentMethodId: 'pm_card_visa',
      });
      expect(confirmed.status).toBe(200);
      return {
        reservationId: held.body.id,
        orderId: confirmed.body.orderId,
        buyerId,
        amount: confirmed.body.amount,
      };
    },

    async stop() {
      await receiver?.close();
      for (const worker of workers) worker.shutdown();
      await running;
      await temporal.close();
      await stores.close();
      await workerStores.close();
      await fixture.stop();
    },
  };
}

/** An HTTP server on a free loopback port answering with `fetch`. */
export async function listen(
  fetch: (request: Request) => Response | Promise<Response>,
): Promise<{ url: string; close(): Promise<void> }> {
  return new Promise((resolve) => {
    const server = serve({ fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) => {
      resolve({
        url: `http://127.0.0.1:${info.port}`,
        close: () =>
          new Promise<void>((closed) => {
            server.close(() => closed());
            if ('closeAllConnections' in server) server.closeAllConnections();
          }),
      });
    });
  });
}
