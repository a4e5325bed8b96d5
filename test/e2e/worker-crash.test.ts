// A worker killed (SIGKILL, no goodbye) while a charge is in flight, then replaced: the reservation still
// ends CONFIRMED with exactly one charge. The worker is a real `tsx workers/main.ts` child process on the
// shared Temporal dev server, Postgres, Redis and the Stripe fixture; the API is the real app in-process.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { projectRoot } from '../../scripts/lib/binaries';
import { createLogger } from '../../src/platform/logger';
import { createStripe } from '../../src/platform/stripe';
import { bearer, connectTestStores, createTestApp, testConfig, testJwtSecret } from '../helpers/app';
import { connectTestTemporal, type TestTemporal, uniqueTaskQueue } from '../helpers/temporal';
import { testDatabaseUrl, testRedisUrl } from '../helpers/urls';

interface WorkerProcess {
  child: ChildProcess;
  output: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const stripeKey = 'sk_test_workercrash';

describe('a worker killed mid-payment', () => {
  const stores = connectTestStores(5);
  const taskQueue = uniqueTaskQueue('crash');
  const paymentMethodId = `pm_crash_${randomUUID().replaceAll('-', '')}`;
  const workers: WorkerProcess[] = [];
  let temporal: TestTemporal;
  let app: ReturnType<typeof createTestApp>;
  let stripeApiUrl: string;

  beforeAll(async () => {
    stripeApiUrl = inject('stripeApiUrl');
    temporal = await connectTestTemporal();
    const config = testConfig({
      TEMPORAL_TASK_QUEUE: taskQueue,
      TEMPORAL_PAYMENT_TASK_QUEUE: `${taskQueue}-payments`,
      STRIPE_API_URL: stripeApiUrl,
      STRIPE_SECRET_KEY: stripeKey,
      API_WAIT_MS: '10000',
    });
    app = createTestApp({
      ...stores,
      temporal: temporal.client,
      stripe: createStripe(config.stripe),
      config,
      log: createLogger('silent', 'worker-crash'),
    });
  });

  afterAll(async () => {
    // Whatever happened above, no worker outlives the suite: each is the leader of its own group.
    for (const worker of workers) killGroup(worker.child, 'SIGKILL');
    await Promise.all(workers.map((worker) => worker.exited));
    await fetch(`${stripeApiUrl}/__fixture/faults/${paymentMethodId}`, { method: 'DELETE' }).catch(() => {});
    await temporal?.close();
    await stores.close();
  });

  /** Starts `tsx workers/main.ts` in its own process group and resolves once it says it has started. */
  async function startWorker(): Promise<WorkerProcess> {
    const child = spawn(join(projectRoot, 'node_modules', '.bin', 'tsx'), ['workers/main.ts'], {
      cwd: projectRoot,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        DATABASE_URL: testDatabaseUrl,
        REDIS_URL: testRedisUrl,
        TEMPORAL_ADDRESS: inject('temporalAddress'),
        TEMPORAL_TASK_QUEUE: taskQueue,
        TEMPORAL_PAYMENT_TASK_QUEUE: `${taskQueue}-payments`,
        STRIPE_API_URL: stripeApiUrl,
        STRIPE_SECRET_KEY: stripeKey,
        AUTH_JWT_SECRET: testJwtSecret,
        PAYMENT_RATE_LIMIT_PER_SECOND: '50',
        LOG_LEVEL: 'info',
      },
    });
    const output: string[] = [];
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal }));
      child.once('error', () => resolve({ code: null, signal: null }));
    });
    const worker = { child, output, exited };
    workers.push(worker);
    const started = new Promise<void>((resolve, reject) => {
      for (const stream of [child.stdout, child.stderr]) {
        if (!stream) continue;
        createInterface({ input: stream }).on('line', (line) => {
          output.push(line);
          if (line.includes('"msg":"worker started"')) resolve();
        });
      }
      void exited.then((exit) =>
        reject(new Error(`worker exited before starting (${JSON.stringify(exit)}):\n${output.join('\n')}`)),
      );
    });
    await within(started, 90_000, 'a worker to start');
    return worker;
  }

  /** Fails with the workers' output when `work` takes longer than `ms`: a hang should explain itself. */
  async function within<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const logs = workers.map((w, i) => `--- worker ${i + 1} ---\n${w.output.slice(-40).join('\n')}`);
        reject(new Error(`timed out after ${ms / 1000} s waiting for ${what}\n${logs.join('\n')}`));
      }, ms);
    });
    try {
      return await Promise.race([work, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  function killGroup(child: ChildProcess, signal: NodeJS.Signals) {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-child.pid, signal);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  }

  async function call(method: string, path: string, token: string, body?: unknown, key?: string) {
    const response = await app.request(path, {
      method,
      headers: {
        authorization: token,
        'content-type': 'application/json',
        ...(key && { 'idempotency-key': key }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  }

  async function paymentRows(reservationId: string) {
    const { rows } = await stores.pool.query<{ status: string; payment_intent_id: string | null }>(
      'select status, payment_intent_id from payments where reservation_id = $1 order by attempt',
      [reservationId],
    );
    return rows;
  }

  /** Every PaymentIntent the gateway holds for the reservation, read through Stripe's list API. */
  async function gatewayIntents(reservationId: string) {
    const found: { id: string; status: string }[] = [];
    let startingAfter: string | undefined;
    for (let page = 0; page < 1000; page++) {
      const query = new URLSearchParams({
        limit: '100',
        ...(startingAfter && { starting_after: startingAfter }),
      });
      const response = await fetch(`${stripeApiUrl}/v1/payment_intents?${query}`, {
        headers: { authorization: `Bearer ${stripeKey}` },
      });
      expect(response.status).toBe(200);
      const list = (await response.json()) as {
        data: { id: string; status: string; metadata: Record<string, string> }[];
        has_more: boolean;
      };
      found.push(...list.data.filter((intent) => intent.metadata.reservationId === reservationId));
      if (!list.has_more || list.data.length === 0) break;
      startingAfter = list.data[list.data.length - 1]?.id;
    }
    return found;
  }

  it('confirms the reservation with exactly one charge after the worker is killed and replaced', {
    timeout: 180_000,
  }, async () => {
    const first = await startWorker();

    const organizer = await bearer('org-crash', 'organizer');
    const event = await call('POST', '/v1/events', organizer, {
      name: `Crash ${randomUUID().slice(0, 6)}`,
      venue: 'Test Hall',
      startsAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
      currency: 'EUR',
      sections: [{ id: 'A', name: 'Floor', price: 3100, rows: [{ id: '1', seats: 4 }] }],
    });
    expect(event.status).toBe(201);
    const buyer = await bearer(`crash-${randomUUID().slice(0, 8)}`, 'buyer');
    const held = await call(
      'POST',
      `/v1/events/${event.body.id}/reservations`,
      buyer,
      { seatIds: ['A-1-1', 'A-1-2'] },
      randomUUID(),
    );
    expect(held.status).toBe(201);
    const reservationId: string = held.body.id;

    // The gateway answers this card slowly, so the charge is still in flight when the worker dies.
    const fault = await fetch(`${stripeApiUrl}/__fixture/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ paymentMethodId, latencyMs: 5000 }),
    });
    expect(fault.status).toBe(200);

    // The confirm answers 202 once its wait budget is spent; the test follows the payment in Postgres.
    const confirming = call(
      'POST',
      `/v1/reservations/${reservationId}/confirm`,
      buyer,
      { paymentMethodId },
      randomUUID(),
    );
    await expect
      .poll(async () => (await paymentRows(reservationId)).map((row) => row.status), {
        timeout: 30_000,
        interval: 50,
      })
      .toEqual(['REQUESTED']);

    killGroup(first.child, 'SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    // Killed mid-payment: the charge was requested and its answer never recorded.
    expect((await paymentRows(reservationId)).map((row) => row.status)).toEqual(['REQUESTED']);
    // The request that was in flight still reaches the gateway; the replacement must not charge again.
    await fetch(`${stripeApiUrl}/__fixture/faults/${paymentMethodId}`, { method: 'DELETE' });

    await startWorker();
    await within(
      temporal.client.workflow.getHandle(reservationId).result(),
      90_000,
      'the reservation to end',
    );
    expect([200, 202]).toContain((await confirming).status);

    const reservation = await call('GET', `/v1/reservations/${reservationId}`, buyer);
    expect(reservation.status).toBe(200);
    expect(reservation.body).toMatchObject({ status: 'CONFIRMED', amount: 6200 });
    const intents = await gatewayIntents(reservationId);
    expect(intents).toHaveLength(1);
    expect(intents[0]?.status).toBe('succeeded');
    expect(await paymentRows(reservationId)).toEqual([
      { status: 'SUCCEEDED', payment_intent_id: intents[0]?.id },
    ]);
    const { rows: seats } = await stores.pool.query<{ seat_id: string; status: string }>(
      'select seat_id, status from seats where event_id = $1 and reservation_id = $2 order by seat_id',
      [event.body.id, reservationId],
    );
    expect(seats).toEqual([
      { seat_id: 'A-1-1', status: 'sold' },
      { seat_id: 'A-1-2', status: 'sold' },
    ]);
    const order = await call('GET', `/v1/orders/${reservation.body.orderId}`, buyer);
    expect(order.body).toMatchObject({ status: 'PAID', paymentIntentId: intents[0]?.id });
    expect(order.body.tickets).toHaveLength(2);
  });
});
