// How the worker's metrics name an activity attempt's end: a business rejection by its code, a real
// Postgres deadlock as the database conflict it is (the "database retry/deadlock rate" alert counts
// those), a cancellation, and any other failure as a plain failure.
import { CancelledFailure } from '@temporalio/activity';
import { afterAll, describe, expect, it } from 'vitest';
import { toTemporalFailure } from '../../activities/failures';
import { DomainError } from '../../src/errors';
import { createPool, type PoolClient } from '../../src/platform/db';
import { attemptOf } from '../../workers/metrics';
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
