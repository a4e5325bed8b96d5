// Owns the setup the saga suites share: the reservation workflow on the shared Temporal dev server with
// in-memory activities (fake-activities.ts) on task queues of the suite's own, driven through the API's
// own client module, and the few helpers every saga test calls (hold, confirm, read a rejection).
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, inject } from 'vitest';
import { type Checkout, createCheckout } from '../../api/workflows/reservations';
import { DomainError } from '../../src/errors';
import { loadConfig } from '../../src/platform/config';
import { createPool, type Pool } from '../../src/platform/db';
import type { ReservationView, ReservationWorkflow } from '../../workflows/reservation/contract';
import {
  connectTestTemporal,
  createTestWorker,
  type TestTemporal,
  uniqueTaskQueue,
} from '../helpers/temporal';
import { testDatabaseUrl } from '../helpers/urls';
import { createFakeActivities } from './fake-activities';

/** Starts workers for the suite (beforeAll) and stops them (afterAll); `env` overrides the configuration. */
export function sagaHarness(name: string, env: NodeJS.ProcessEnv = {}) {
  const fakes = createFakeActivities();
  const taskQueue = uniqueTaskQueue(name);
  const paymentTaskQueue = `${taskQueue}-payments`;
  let temporal: TestTemporal;
  let pool: Pool;
  let checkout: Checkout;
  let workers: Worker[];
  let running: Promise<unknown>;

  beforeAll(async () => {
    temporal = await connectTestTemporal();
    pool = createPool(testDatabaseUrl, 2);
    const config = loadConfig({
      AUTH_JWT_SECRET: 'test-secret-of-some-length',
      STRIPE_SECRET_KEY: 'sk_test_fake',
      TEMPORAL_TASK_QUEUE: taskQueue,
      TEMPORAL_PAYMENT_TASK_QUEUE: paymentTaskQueue,
      PAYMENT_ATTEMPT_TIMEOUT_SECONDS: '1',
      PAYMENT_WINDOW_SECONDS: '60',
      MAX_PAYMENT_ATTEMPTS: '3',
      API_WAIT_MS: '15000',
      ...env,
    });
    checkout = createCheckout({ temporal: temporal.client, config, pool, holds: fakes.holds });
    workers = [
      await createTestWorker(temporal, { taskQueue, activities: fakes.main }),
      // Like the production payment worker: a cancelled charge hears of it within a second.
      await createTestWorker(temporal, {
        taskQueue: paymentTaskQueue,
        activities: fakes.payments,
        maxHeartbeatThrottleInterval: '1s',
      }),
    ];
    running = Promise.all(workers.map((worker) => worker.run()));
  });

  afterAll(async () => {
    fakes.releaseHangs();
    for (const worker of workers) worker.shutdown();
    await running;
    await pool.end();
    await temporal.close();
  });

  return {
    fakes,
    taskQueue,
    paymentTaskQueue,
    client: () => temporal.client,
    checkout: () => checkout,
    handle: (id: string) => temporal.client.workflow.getHandle<ReservationWorkflow>(id),

    /** Holds `seatIds` as a new buyer (or `buyerId`) through the API's client; the held reservation. */
    async hold(seatIds: string[], buyerId = `buyer-${randomUUID().slice(0, 8)}`): Promise<ReservationView> {
      const outcome = await checkout.hold({
        eventId: 'evt_saga',
        buyerId,
        idempotencyKey: randomUUID(),
        request: { seatIds },
        summary: `${buyerId} test`,
      });
      if (!outcome.settled) throw new Error('hold did not settle');
      return outcome.value;
    },

    async confirm(id: string, paymentMethodId: string): Promise<ReservationView> {
      const outcome = await checkout.confirm(id, randomUUID(), paymentMethodId);
      if (!outcome.settled) throw new Error('confirm did not settle');
      return outcome.value;
    },

    /** The calls of activity `name` for one reservation, in order, with their inputs. */
    callsFor<T = Record<string, unknown>>(name: string, reservationId: string): T[] {
      return fakes
        .callsTo(name)
        .map((call) => call.input as T & { reservationId?: string })
        .filter((input) => input.reservationId === reservationId);
    },
  };
}

/**
 * Saves a finished workflow's history for the replay test (test/workflows/histories), when the run asks
 * for it: RECORD_HISTORIES=1 npm test -- <suite>. Temporal's own JSON format, as the CLI exports it.
 */
export function recordHistory(workflowId: string, name: string): void {
  if (!process.env.RECORD_HISTORIES) return;
  const dir = join(import.meta.dirname, 'histories');
  mkdirSync(dir, { recursive: true });
  const cli = process.env.TEMPORAL_CLI_PATH ?? 'temporal';
  const args = ['workflow', 'show', '-w', workflowId, '--address', inject('temporalAddress'), '-o', 'json'];
  writeFileSync(join(dir, `${name}.json`), execFileSync(cli, args, { encoding: 'utf8' }));
}

/** The DomainError `work` rejects with; anything else fails the test with what it was. */
export async function rejectionOf(work: Promise<unknown>): Promise<DomainError> {
  const error = await work.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof DomainError))
    throw new Error(
      `expected a DomainError, got ${String(error)} ${String((error as { cause?: unknown }).cause)}`,
    );
  return error;
}
