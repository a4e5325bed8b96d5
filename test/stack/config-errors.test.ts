// Checks what a person sees when an entry point (the API, the worker, the commands run beside the dev
// stack) is started with bad configuration: a non-zero exit and a single line on stderr that names the
// variable, before anything is dialled; and that those commands need nothing the dev stack fills in.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../scripts/lib/binaries';
import { devSecrets } from '../../src/platform/config';

const tsx = join(projectRoot, 'node_modules', '.bin', 'tsx');

/** Runs `entry` with exactly `env` (plus PATH and HOME) and collects its exit code and stderr. */
function run(
  entry: string,
  env: Record<string, string>,
  args: string[] = [],
): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(tsx, [entry, ...args], {
      cwd: projectRoot,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stderr }));
  });
}

const valid = {
  AUTH_JWT_SECRET: 'a-secret-of-sixteen+',
  STRIPE_SECRET_KEY: 'sk_test_123',
  // Nothing listens here; a config error must be reported before any of these is dialled.
  DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none',
  REDIS_URL: 'redis://127.0.0.1:1',
  TEMPORAL_ADDRESS: '127.0.0.1:1',
};

describe('a bad environment', () => {
  it.each([
    ['api/server.ts', 'boxoffice-api'],
    ['workers/main.ts', 'boxoffice-worker'],
  ])('stops %s with one line naming a missing AUTH_JWT_SECRET', async (entry, name) => {
    const { AUTH_JWT_SECRET: _, ...withoutSecret } = valid;
    const { code, stderr } = await run(entry, withoutSecret);
    expect(code).toBe(1);
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^${name}: invalid configuration: .*AUTH_JWT_SECRET is required`));
  });

  it('stops the API with one line naming every malformed variable at once', async () => {
    const { code, stderr } = await run('api/server.ts', {
      ...valid,
      DATABASE_URL: 'mysql://127.0.0.1/x',
      PORT: 'eighty',
      STRIPE_SECRET_KEY: 'pk_x',
    });
    expect(code).toBe(1);
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^boxoffice-api: invalid configuration: /);
    expect(lines[0]).toContain('DATABASE_URL must be a URL starting with postgres:// or postgresql://');
    expect(lines[0]).toContain('PORT');
    expect(lines[0]).toContain('STRIPE_SECRET_KEY must look like sk_test_... or sk_live_...');
  });

  it('stops the API in production with one line refusing the public development secret', async () => {
    const { code, stderr } = await run('api/server.ts', {
      ...valid,
      NODE_ENV: 'production',
      AUTH_JWT_SECRET: devSecrets.AUTH_JWT_SECRET,
      TICKET_SIGNING_SECRET: 'a-ticket-key-of-its-own-32-chars',
    });
    expect(code).toBe(1);
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^boxoffice-api: invalid configuration: AUTH_JWT_SECRET is the public development value, refused with NODE_ENV=production/,
    );
  });
});

/** The one line a command wrote to stderr. */
function oneLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  expect(lines, stderr).toHaveLength(1);
  return lines[0] ?? '';
}

describe('the commands run beside the dev stack', () => {
  // Where the dev stack would be, but nothing listens: what fails must be the dialling, not the config.
  const nothingListening = {
    DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none',
    TEMPORAL_ADDRESS: '127.0.0.1:1',
  };

  it("reconciles with the dev stack's defaults: no Stripe key or secret to give", async () => {
    const { code, stderr } = await run('scripts/reconcile.ts', nothingListening, ['--event', 'evt_demo']);
    expect(code).toBe(2);
    const line = oneLine(stderr);
    expect(line).toMatch(/^finance:reconcile: Temporal is not answering at 127\.0\.0\.1:1/);
    expect(line).not.toContain('STRIPE_SECRET_KEY');
  });

  it.each([
    ['scripts/reconcile.ts', 'finance:reconcile', 2, ['--event', 'evt_demo']],
    ['scripts/migrate.ts', 'db:migrate', 1, []],
    ['scripts/seed.ts', 'seed', 1, []],
  ])('stops %s with one line naming a malformed DATABASE_URL', async (entry, name, exitCode, args) => {
    const { code, stderr } = await run(
      entry,
      { ...nothingListening, DATABASE_URL: 'mysql://127.0.0.1:1/x' },
      args,
    );
    expect(code).toBe(exitCode);
    expect(oneLine(stderr)).toMatch(
      new RegExp(`^${name}: invalid configuration: DATABASE_URL must be a URL starting with postgres://`),
    );
  });

  it('stops the token command with one line naming a bad secret', async () => {
    const { code, stderr } = await run('scripts/token.ts', { AUTH_JWT_SECRET: 'short' }, ['alice', 'buyer']);
    expect(code).toBe(2);
    expect(oneLine(stderr)).toMatch(/^token: invalid configuration: AUTH_JWT_SECRET must be at least 16/);
  });
});
