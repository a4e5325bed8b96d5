// Owns how a suite builds the HTTP app on the real test Postgres and Redis. Dependencies a suite does not
// exercise are placeholders that fail loudly when touched, so a test never passes by accident.
import type { Client } from '@temporalio/client';
import { createApp } from '../../api/app';
import { mintToken, type Role } from '../../api/auth';
import type { AppDeps } from '../../api/env';
import { type Config, loadConfig } from '../../src/platform/config';
import { createPool, type Pool } from '../../src/platform/db';
import { createLogger, type Logger } from '../../src/platform/logger';
import { createRedis, type Redis } from '../../src/platform/redis';
import type { Stripe } from '../../src/platform/stripe';
import { testDatabaseUrl, testRedisUrl } from './urls';

export const testJwtSecret = 'test-secret-of-at-least-16-chars';

export function testConfig(overrides: NodeJS.ProcessEnv = {}): Config {
  return loadConfig({
    AUTH_JWT_SECRET: testJwtSecret,
    STRIPE_SECRET_KEY: 'sk_test_unused',
    DATABASE_URL: testDatabaseUrl,
    REDIS_URL: testRedisUrl,
    LOG_LEVEL: 'silent',
    ...overrides,
  });
}

/** A dependency the suite must not reach: any use throws, naming it. */
export function notWired<T>(name: string): T {
  return new Proxy(
    {},
    {
      get(_target, property) {
        throw new Error(`${name}.${String(property)} used, but ${name} is not wired in this test app`);
      },
    },
  ) as T;
}

export interface TestAppOptions {
  pool: Pool;
  redis: Redis;
  temporal?: Client;
  stripe?: Stripe;
  log?: Logger;
  config?: Config;
}

/** The app's dependencies on the given pool and Redis; Temporal and Stripe only if the suite passes them. */
export function testAppDeps(options: TestAppOptions): AppDeps {
  return {
    config: options.config ?? testConfig(),
    pool: options.pool,
    redis: options.redis,
    temporal: options.temporal ?? notWired<Client>('temporal'),
    stripe: options.stripe ?? notWired<Stripe>('stripe'),
    log: options.log ?? createLogger('silent', 'test-api'),
  };
}

/**
 * What @hono/node-server hands the app for a connection from `address` (its `incoming` socket): pass it as
 * `app.request(path, init, connectedFrom('203.0.113.7'))` to send a request from that address.
 */
export function connectedFrom(address: string) {
  return { incoming: { socket: { remoteAddress: address } } };
}

const fromLoopback = connectedFrom('127.0.0.1');

/**
 * The real app on the given pool and Redis; Temporal and Stripe only if the suite passes them. An
 * in-process request has no connection: unless it says otherwise (`connectedFrom`) it comes from this
 * machine, as a load test's requests do.
 */
export function createTestApp(options: TestAppOptions) {
  const app = createApp(testAppDeps(options));
  const { fetch } = app;
  // app.request sends through app.fetch.
  app.fetch = (request, env, executionContext) => fetch(request, env ?? fromLoopback, executionContext);
  return app;
}

/**
 * Real clients on the test database and Redis db; await `ready` in beforeAll (the Redis client fails fast
 * instead of queueing until it is connected) and close them in afterAll.
 */
export function connectTestStores(poolSize = 10): {
  pool: Pool;
  redis: Redis;
  ready: Promise<void>;
  close(): Promise<void>;
} {
  const pool = createPool(testDatabaseUrl, poolSize);
  const redis = createRedis(testRedisUrl);
  return {
    pool,
    redis,
    ready: redisReady(redis),
    async close() {
      redis.disconnect();
      await pool.end();
    },
  };
}

/** Resolves once the client is connected. */
export function redisReady(redis: Redis): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise((resolve) => redis.once('ready', () => resolve()));
}

/** An Authorization header value for a user with a role. */
export async function bearer(userId: string, role: Role, expiresIn = '1h'): Promise<string> {
  return `Bearer ${await mintToken(testJwtSecret, userId, role, expiresIn)}`;
}
