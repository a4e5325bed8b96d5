// Owns the in-process Boxoffice stack for end-to-end suites: the real app and the real workers (bundled
// workflows, real activities) on the shared Temporal dev server, test Postgres/Redis and the Stripe
// fixture. The API and the worker get separate pools, as separate processes would.
import { randomUUID } from 'node:crypto';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { inject } from 'vitest';
import type { Config } from '../../src/platform/config';
import { createLogger } from '../../src/platform/logger';
import { createStripe, type Stripe } from '../../src/platform/stripe';
import { createWorkers } from '../../workers/workers';
import { bearer, connectTestStores, createTestApp, testConfig } from './app';
import { connectTestTemporal, type TestTemporal, uniqueTaskQueue } from './temporal';

export interface TestStack {
  app: ReturnType<typeof createTestApp>;
  config: Config;
  stores: ReturnType<typeof connectTestStores>;
  stripe: Stripe;
  temporal: TestTemporal;
  /** Calls the API as `token` and parses the JSON answer. */
  call(
    method: string,
    path: string,
    token: string,
    body?: unknown,
    headers?: Record<string, string>,
    // biome-ignore lint/suspicious/noExplicitAny: suites read whatever JSON the endpoint under test returns.
  ): Promise<{ status: number; body: any }>;
  /** Creates an event of one section 'A' with one row '1' of `seats` seats at 4200 EUR each. */
  createEvent(seats: number, holdSeconds?: number): Promise<{ id: string }>;
  stop(): Promise<void>;
}

export async function startTestStack(env: NodeJS.ProcessEnv = {}): Promise<TestStack> {
  const taskQueue = uniqueTaskQueue('stack');
  const config = testConfig({
    TEMPORAL_TASK_QUEUE: taskQueue,
    TEMPORAL_PAYMENT_TASK_QUEUE: `${taskQueue}-payments`,
    STRIPE_API_URL: inject('stripeApiUrl'),
    STRIPE_SECRET_KEY: 'sk_test_stack',
    PAYMENT_RATE_LIMIT_PER_SECOND: '200',
    API_WAIT_MS: '20000',
    ...env,
  });
  const stores = connectTestStores(20);
  const workerStores = connectTestStores(20);
  const temporal = await connectTestTemporal();
  const stripe = createStripe(config.stripe);
  const log = createLogger('error', 'test-stack');
  const app = createTestApp({ ...stores, temporal: temporal.client, stripe, config, log });
  const workerConnection = await NativeConnection.connect({ address: inject('temporalAddress') });
  const workers: Worker[] = await createWorkers({
    connection: workerConnection,
    config,
    deps: { config, pool: workerStores.pool, redis: workerStores.redis, stripe, log },
    workflowBundlePath: inject('workflowBundlePath'),
  });
  const running = Promise.all(workers.map((worker) => worker.run()));

  const call: TestStack['call'] = async (method, path, token, body, headers = {}) => {
    const response = await app.request(path, {
      method,
      headers: { authorization: token, 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  };

  return {
    app,
    config,
    stores,
    stripe,
    temporal,
    call,
    async createEvent(seats, holdSeconds = 600) {
      const created = await call('POST', '/v1/events', await bearer('organizer-of-tests', 'organizer'), {
        name: `Test event ${randomUUID().slice(0, 6)}`,
        venue: 'Test Hall',
        startsAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
        currency: 'EUR',
        holdSeconds,
        maxSeatsPerBuyer: 4,
        sections: [{ id: 'A', name: 'Floor', price: 4200, rows: [{ id: '1', seats }] }],
      });
      if (created.status !== 201) throw new Error(`event not created: ${JSON.stringify(created.body)}`);
      return created.body as { id: string };
    },
    async stop() {
      for (const worker of workers) worker.shutdown();
      await running;
      await workerConnection.close();
      await temporal.close();
      await stores.close();
      await workerStores.close();
    },
  };
}
