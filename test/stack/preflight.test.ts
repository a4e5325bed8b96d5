// Checks that a Postgres or Redis that does not answer produces one line saying where it was looked
// for and how to start it, quickly, instead of a stack trace or a hang.
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { checkPostgres, checkRedis, PreflightError } from '../../scripts/lib/preflight';

/** A loopback port that nothing listens on: bound once by us, then released. */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

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
    const port = await closedPort();
    const started = Date.now();
    const error = await failure(checkPostgres(`postgres://postgres@127.0.0.1:${port}/boxoffice`));
    expect(Date.now() - started).toBeLessThan(5000);
    expect(error.message.split('\n')).toHaveLength(1);
    expect(error.message).toMatch(new RegExp(`^Postgres is not answering at 127\\.0\\.0\\.1:${port} \\(`));
    expect(error.message).toContain('start it');
    expect(error.message).toContain('DATABASE_URL');
  });

  it('reports a closed Redis port in one actionable line', async () => {
    const port = await closedPort();
    const started = Date.now();
    const error = await failure(checkRedis(`redis://127.0.0.1:${port}`));
    expect(Date.now() - started).toBeLessThan(5000);
    expect(error.message.split('\n')).toHaveLength(1);
    expect(error.message).toMatch(new RegExp(`^Redis is not answering at 127\\.0\\.0\\.1:${port} \\(`));
    expect(error.message).toContain('start it');
    expect(error.message).toContain('REDIS_URL');
  });
});
