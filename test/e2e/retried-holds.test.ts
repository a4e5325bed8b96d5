// A retried hold (same Idempotency-Key) while its workflow runs: answered from Postgres and the workflow's
// description, so it never waits for a worker; anything the workflow has done since is its own answer.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { statusQuery } from '../../workflows/reservation/contract';
import { bearer, createTestApp } from '../helpers/app';
import { startTestStack, type TestStack } from '../helpers/stack';
import { uniqueTaskQueue } from '../helpers/temporal';

describe('retried holds', () => {
  type App = ReturnType<typeof createTestApp>;
  let stack: TestStack;
  /** The same API, starting reservations on a task queue no worker polls. */
  let unserved: App;
  beforeAll(async () => {
    stack = await startTestStack('retried-holds');
    unserved = createTestApp({
      ...stack.stores,
      temporal: stack.temporal.client,
      stripe: stack.stripe,
      config: {
        ...stack.config,
        // Within the budget only if nothing waits for a worker; a query would wait it out and answer 202.
        apiWaitMs: 3000,
        temporal: { ...stack.config.temporal, taskQueue: uniqueTaskQueue('retried-holds-unserved') },
      },
    });
  });
  afterAll(async () => {
    await stack.stop();
  });

  async function post(app: App, path: string, token: string, body: unknown, key: string) {
    const response = await app.request(path, {
      method: 'POST',
      headers: { authorization: token, 'content-type': 'application/json', 'idempotency-key': key },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: await response.json() };
  }

  /** A buyer's first hold of `seatIds` through `app`, and `retry` to send the same key again. */
  async function firstHold(app: App, seatIds: string[]) {
    const eventId = await stack.createEvent({ seats: 4 });
    const token = await bearer(`buyer-retry-${randomUUID().slice(0, 6)}`, 'buyer');
    const key = randomUUID();
    const path = `/v1/events/${eventId}/reservations`;
    const first = await post(app, path, token, { seatIds }, key);
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    return { first, token, retry: (asked = seatIds) => post(app, path, token, { seatIds: asked }, key) };
  }

  it('answers a retry from Postgres while no worker has run the workflow, and refuses the key reused', async () => {
    const { first, retry } = await firstHold(unserved, ['A-1-2', 'A-1-1']);
    const again = await retry();
    expect(again.status, JSON.stringify(again.body)).toBe(201);
    expect(again.body).toEqual(first.body);

    const reused = await retry(['A-1-3']);
    expect(reused.status).toBe(422);
    expect(reused.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
    await stack.temporal.client.workflow.getHandle(first.body.id).terminate('test over');
  });

  it('answers a retry the same way once the worker has run the first task, which adds only the timer', async () => {
    const { first, retry } = await firstHold(stack.app, ['A-1-1']);
    const handle = stack.temporal.client.workflow.getHandle(first.body.id);
    await handle.query(statusQuery);
    // The fast path's guard (untouchedHistoryLength): more events here and every retry queries again.
    expect((await handle.describe()).historyLength).toBe(5);
    expect((await retry()).body).toEqual(first.body);
  });

  it('leaves a retry after a declined payment to the workflow, which knows the attempt', async () => {
    const { first, token, retry } = await firstHold(stack.app, ['A-1-1']);
    const declined = await post(
      stack.app,
      `/v1/reservations/${first.body.id}/confirm`,
      token,
      { paymentMethodId: 'pm_card_chargeDeclined' },
      randomUUID(),
    );
    expect(declined.status).toBe(402);

    const again = await retry();
    expect(again.status).toBe(201);
    expect(again.body).toMatchObject({ id: first.body.id, status: 'HELD', payment: { attempts: 1 } });
  });
});
