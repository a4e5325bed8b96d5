// A dependency that is down is an outage, not a bug: with Postgres or Temporal unreachable the API answers
// 503 SERVICE_UNAVAILABLE with Retry-After (the chaos run's restarts found 500s here), never a 500.
import { Client, Connection, defaultGrpcRetryOptions, makeGrpcRetryInterceptor } from '@temporalio/client';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool } from '../../src/platform/db';
import { isDependencyDown } from '../../src/platform/outage';
import { freePort } from '../../src/platform/ports';
import { createRedis } from '../../src/platform/redis';
import { bearer, connectTestStores, createTestApp, redisReady } from '../helpers/app';

async function failureOf(work: Promise<unknown>): Promise<unknown> {
  return work.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (error: unknown) => error,
  );
}

async function expectUnavailable(response: Response) {
  expect(response.status).toBe(503);
  expect(response.headers.get('retry-after')).toBe('2');
  expect(response.headers.get('content-type')).toContain('application/problem+json');
  expect(await response.json()).toMatchObject({ code: 'SERVICE_UNAVAILABLE', status: 503 });
}

describe('a dependency that is down', () => {
  const stores = connectTestStores(2);
  let closedPort: number;
  let downTemporal: Client;

  beforeAll(async () => {
    await stores.ready;
    closedPort = await freePort();
    // The client's own gRPC retries, shortened: the outage is the same, the suite just waits less for it.
    const connection = await Connection.lazy({
      address: `127.0.0.1:${closedPort}`,
      connectTimeout: '500ms',
      interceptors: [makeGrpcRetryInterceptor(defaultGrpcRetryOptions({ maxAttempts: 2 }))],
    });
    downTemporal = new Client({ connection });
  });
  afterAll(async () => {
    await downTemporal.connection.close();
    await stores.close();
  });

  it('is recognised by what each driver throws, and a plain error is not', async () => {
    const pool = new pg.Pool({ connectionString: `postgres://postgres@127.0.0.1:${closedPort}/x` });
    expect(isDependencyDown(await failureOf(pool.query('select 1')))).toBe(true);
    await pool.end();
    expect(isDependencyDown(await failureOf(downTemporal.workflow.getHandle('rsv_x').describe()))).toBe(true);
    const redis = createRedis(`redis://127.0.0.1:${closedPort}`);
    expect(isDependencyDown(await failureOf(redis.get('x')))).toBe(true);
    redis.disconnect();
    expect(isDependencyDown(new Error('relation "seats" does not exist'))).toBe(false);
    expect(isDependencyDown(new TypeError("Cannot read properties of undefined (reading 'id')"))).toBe(false);
  });

  it('answers 503 while Postgres is unreachable', async () => {
    const pool = createPool(`postgres://postgres@127.0.0.1:${closedPort}/boxoffice`, 1);
    const redis = createRedis(`redis://127.0.0.1:${closedPort}`);
    try {
      await expectUnavailable(await createTestApp({ pool, redis }).request('/v1/events'));
    } finally {
      redis.disconnect();
      await pool.end();
    }
  });

  it('answers 503 while Temporal is unreachable', async () => {
    const app = createTestApp({ pool: stores.pool, redis: stores.redis, temporal: downTemporal });
    await redisReady(stores.redis);
    const response = await app.request('/v1/reservations/rsv_outage1', {
      headers: { authorization: await bearer('buyer-outage', 'buyer') },
    });
    await expectUnavailable(response);
  });
});
