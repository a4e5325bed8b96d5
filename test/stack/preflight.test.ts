// Checks that a Postgres or Redis that does not answer produces one line saying where it was looked
// for and how to start it, quickly, instead of a stack trace or a hang.
import { describe, expect, it } from 'vitest';
// A port nothing listens on: freePort binds it once and releases it.
import { freePort } from '../../scripts/lib/ports';
import { checkPostgres, checkRedis, PreflightError } from '../../scripts/lib/preflight';

async function failure(check: Promise<void>): Promise<Error> {
  const error = await check.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(PreflightError);
  return error as Error;
}

describe('preflight checks', () => {
  it('reports a closed Postgres port in one actionable line', async () => {
    const port = await freePort();
    const started = Date.now();
    const error = await failure(checkPostgres(`postgres://postgres@127.0.0.1:${port}/boxoffice`));
    expect(Date.now() - started).toBeLessThan(5000);
    expect(error.message.split('\n')).toHaveLength(1);
    expect(error.message).toMatch(new RegExp(`^Postgres is not answering at 127\\.0\\.0\\.1:${port} \\(`));
    expect(error.message).toContain('start it');
    expect(error.message).toContain('DATABASE_URL');
  });

  it('reports a closed Redis port in one actionable line', async () => {
    const port = await freePort();
    const started = Date.now();
    const error = await failure(checkRedis(`redis://127.0.0.1:${port}`));
    expect(Date.now() - started).toBeLessThan(5000);
    expect(error.message.split('\n')).toHaveLength(1);
    expect(error.message).toMatch(new RegExp(`^Redis is not answering at 127\\.0\\.0\\.1:${port} \\(`));
    expect(error.message).toContain('start it');
    expect(error.message).toContain('REDIS_URL');
  });
});
