// An exhausted Postgres pool is load, not a bug: the API answers 503 with Retry-After so the client retries.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPoolExhausted } from '../../src/platform/db';
import { createRedis } from '../../src/platform/redis';
import { createTestApp, redisReady } from '../helpers/app';
import { testDatabaseUrl, testRedisUrl } from '../helpers/urls';

describe('an exhausted connection pool', () => {
  // One connection, held by the test, and a short wait for it: every request finds the pool full.
  const pool = new pg.Pool({ connectionString: testDatabaseUrl, max: 1, connectionTimeoutMillis: 100 });
  const redis = createRedis(testRedisUrl);
  let held: pg.PoolClient;

  beforeAll(async () => {
    await redisReady(redis);
    held = await pool.connect();
  });
  afterAll(async () => {
    held.release();
    await pool.end();
    redis.disconnect();
  });

  it('is recognised by what pg-pool throws', async () => {
    const error = await pool.query('select 1').then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(isPoolExhausted(error)).toBe(true);
    expect(isPoolExhausted(new Error('connection refused'))).toBe(false);
  });

  it('answers 503 SERVICE_UNAVAILABLE with Retry-After', async () => {
    const response = await createTestApp({ pool, redis }).request('/v1/events');
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('1');
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(await response.json()).toMatchObject({ code: 'SERVICE_UNAVAILABLE', status: 503 });
  });
});
