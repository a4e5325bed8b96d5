// How the worker's metrics name an activity attempt's end: a business rejection by its code, a real
// Postgres deadlock as the database conflict it is (the "database retry/deadlock rate" alert counts
// those), a cancellation, and any other failure as a plain failure; and the worker process's metrics
// switch: served on WORKER_METRICS_PORT by default, nothing at all with METRICS_ENABLED=false.
import { CancelledFailure } from '@temporalio/activity';
import { afterAll, describe, expect, it } from 'vitest';
import { toTemporalFailure } from '../../activities/failures';
import { DomainError } from '../../src/errors';
import { createPool, type PoolClient } from '../../src/platform/db';
import { createLogger } from '../../src/platform/logger';
import { freePort } from '../../src/platform/ports';
import { attemptOf, startWorkerMetrics } from '../../workers/metrics';
import { testConfig } from '../helpers/app';
import { testDatabaseUrl } from '../helpers/urls';

describe('attemptOf', () => {
  const pool = createPool(testDatabaseUrl, 2);
  afterAll(() => pool.end());

  it('names a business rejection by its error code', () => {
    const failure = toTemporalFailure(new DomainError('PAYMENT_DECLINED', 'Your card was declined.'));
    expect(attemptOf(failure)).toEqual({ outcome: 'rejected', code: 'PAYMENT_DECLINED' });
  });

  it('names a real Postgres deadlock as a database conflict', async () => {
    const [first, second] = await Promise.all([pool.connect(), pool.connect()]);
    const lock = (client: PoolClient, key: number) => client.query('select pg_advisory_xact_lock($1)', [key]);
    try {
      await Promise.all([first.query('begin'), second.query('begin')]);
      await lock(first, 9_464_001);
      await lock(second, 9_464_002);
      // Each now waits for the other's lock: Postgres ends one of them with 40P01.
      const outcomes = await Promise.allSettled([lock(first, 9_464_002), lock(second, 9_464_001)]);
      const failed = outcomes.find((outcome) => outcome.status === 'rejected');
      expect(failed).toBeDefined();
      expect(attemptOf((failed as PromiseRejectedResult).reason)).toEqual({
        outcome: 'failed',
        code: 'deadlock_detected',
      });
    } finally {
      await Promise.all([first.query('rollback'), second.query('rollback')]);
      first.release();
      second.release();
    }
  });

  it('tells a cancellation and any other failure apart', () => {
    expect(attemptOf(new CancelledFailure('CANCELLED'))).toEqual({ outcome: 'cancelled' });
    expect(attemptOf(new Error('connection reset'))).toEqual({ outcome: 'failed' });
  });
});

describe('startWorkerMetrics', () => {
  const log = createLogger('silent', 'worker-metrics-test');

  it('starts nothing with METRICS_ENABLED=false: no endpoint on WORKER_METRICS_PORT, no interceptor', async () => {
    const port = await freePort();
    const config = testConfig({ METRICS_ENABLED: 'false', WORKER_METRICS_PORT: String(port) });
    expect(await startWorkerMetrics(config, log)).toBeUndefined();
    await expect(fetch(`http://127.0.0.1:${port}/metrics`)).rejects.toThrow();
  });

  it("serves Boxoffice's metrics on WORKER_METRICS_PORT by default", async () => {
    const port = await freePort();
    const started = await startWorkerMetrics(testConfig({ WORKER_METRICS_PORT: String(port) }), log);
    if (!started) throw new Error('metrics did not start');
    try {
      expect(started.server.port).toBe(port);
      const scraped = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(scraped.status).toBe(200);
      expect(await scraped.text()).toContain('boxoffice_payment_rate_limit_per_second');
    } finally {
      await started.server.close();
    }
  });
});
