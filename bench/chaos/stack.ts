// Owns the stack a chaos run starts for itself, every piece of which a fault can hit: its own Postgres and
// Redis, a persisted Temporal dev server, stripe-mock behind the payment fixture (webhooks to the API),
// the worker and the API as processes. stop() takes it all down again; a forced exit kills what is left.
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { migrate } from '../../db/migrate';
import { projectRoot, resolveTool, temporalCli } from '../../scripts/lib/binaries';
import {
  devServerArgs,
  ensureSearchAttributes,
  waitForTemporal,
  waitForWorkerPolling,
} from '../../scripts/lib/dev-temporal';
import { freePort } from '../../scripts/lib/ports';
import { ensureDatabase } from '../../scripts/lib/preflight';
import { type StripeFixture, startStripeFixture } from '../../scripts/lib/stripe-fixture';
import { startStripeMock } from '../../scripts/lib/stripe-mock';
import { createPool, type Pool } from '../../src/platform/db';
import { createStripe, type Stripe } from '../../src/platform/stripe';
import { createHttpClient, type HttpClient } from '../lib/load';
import type { ChaosParams } from './options';
import { ManagedProcess, until } from './processes';
import { type OwnPostgres, type OwnRedis, startOwnPostgres, startOwnRedis } from './stores';

export const log = (line: string) => process.stderr.write(`[chaos] ${new Date().toISOString()} ${line}\n`);

const tsx = join(projectRoot, 'node_modules', '.bin', 'tsx');
const jwtSecret = 'chaos-run-secret-0123456789abcdef';
const stripeKey = 'sk_test_chaos';
const webhookSecret = 'whsec_chaos_0123456789';

export interface ChaosStack {
  dataDir: string;
  jwtSecret: string;
  postgres: OwnPostgres;
  redis: OwnRedis;
  temporal: ManagedProcess;
  worker: ManagedProcess;
  api: ManagedProcess;
  fixture: StripeFixture;
  /** The harness's Temporal client (reconnects by itself after a restart of the server). */
  client: Client;
  /** The harness's own database pool, for the invariants. */
  pool: Pool;
  /** A Stripe client on the fixture, for the reconciliation report. */
  stripe: Stripe;
  http: HttpClient;
  apiUrl: string;
  /** Stops everything; keeps the run's folder (`all`), only its logs (`logs`), or nothing. */
  stop(keep: 'all' | 'logs' | 'nothing'): Promise<void>;
}

/** Starts every piece and waits until the worker polls and the API answers /healthz. */
export async function startChaosStack(params: ChaosParams, run: string): Promise<ChaosStack> {
  const dataDir = mkdtempSync(join(tmpdir(), `boxoffice-chaos-${run}-`));
  const logDir = join(dataDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  log(`data and logs in ${dataDir}`);
  const cleanups: (() => Promise<unknown> | unknown)[] = [];
  const lastResort: (() => void)[] = [];
  const onExit = () => {
    for (const kill of lastResort) kill();
  };
  process.once('exit', onExit);
  const onSignal = () => process.exit(130);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const stop = async (keep: 'all' | 'logs' | 'nothing') => {
    for (const cleanup of cleanups.reverse()) {
      await Promise.resolve()
        .then(cleanup)
        .catch((error: unknown) => log(`cleanup: ${String(error)}`));
    }
    process.off('exit', onExit);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (keep === 'nothing') return rmSync(dataDir, { recursive: true, force: true });
    if (keep === 'logs') {
      for (const entry of readdirSync(dataDir)) {
        if (entry !== 'logs') rmSync(join(dataDir, entry), { recursive: true, force: true });
      }
    }
    log(`kept ${keep === 'logs' ? logDir : dataDir}`);
  };

  try {
    log('starting Postgres, Redis, Temporal (persisted) and stripe-mock of its own');
    const postgres = await startOwnPostgres(dataDir, logDir);
    lastResort.push(() => postgres.stopNow());
    cleanups.push(() => postgres.stop('fast'));
    const redis = await startOwnRedis(dataDir, logDir, log);
    lastResort.push(() => redis.process.killNow());
    cleanups.push(() => redis.process.stop());
    await ensureDatabase(postgres.url);
    await migrate(postgres.url);

    const temporalPort = await freePort();
    const address = `127.0.0.1:${temporalPort}`;
    const temporal = new ManagedProcess({
      name: 'temporal',
      command: resolveTool(temporalCli, log),
      args: devServerArgs({
        dbFilename: join(dataDir, 'temporal.db'),
        ip: '127.0.0.1',
        port: temporalPort,
        uiPort: await freePort(),
        namespace: 'default',
      }),
      logDir,
      log,
      ready: async () => {
        const connection = await waitForTemporal(address, 'default', 90_000);
        try {
          await ensureSearchAttributes(connection, 'default');
        } finally {
          await connection.close();
        }
      },
    });
    lastResort.push(() => temporal.killNow());
    const [stripeMock] = await Promise.all([startStripeMock({ log }), temporal.start()]);
    cleanups.push(
      () => temporal.stop(),
      () => stripeMock.stop(),
    );

    const apiPort = await freePort();
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    const fixture = await startStripeFixture({
      upstreamUrl: stripeMock.url,
      webhook: { url: `${apiUrl}/v1/webhooks/stripe`, secret: webhookSecret },
    });
    cleanups.push(() => fixture.stop());

    const connection = await Connection.connect({ address });
    cleanups.push(() => connection.close());
    const client = new Client({ connection });
    const taskQueue = `chaos-${run}`;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DATABASE_URL: postgres.url,
      REDIS_URL: redis.url,
      TEMPORAL_ADDRESS: address,
      TEMPORAL_TASK_QUEUE: taskQueue,
      TEMPORAL_PAYMENT_TASK_QUEUE: `${taskQueue}-payments`,
      AUTH_JWT_SECRET: jwtSecret,
      STRIPE_SECRET_KEY: stripeKey,
      STRIPE_API_URL: fixture.url,
      STRIPE_WEBHOOK_SECRET: webhookSecret,
      PAYMENT_RATE_LIMIT_PER_SECOND: String(params.paymentRate),
      PAYMENT_WINDOW_SECONDS: String(params.paymentWindowSeconds),
      PAYMENT_ATTEMPT_TIMEOUT_SECONDS: String(params.attemptTimeoutSeconds),
      HOLD_GRACE_SECONDS: String(params.holdGraceSeconds),
      // Any free port: never the machine's 9464, which another worker may hold.
      WORKER_METRICS_PORT: '0',
      PORT: String(apiPort),
      LOG_LEVEL: params.logLevel,
    };
    // The worker and the API: the production entry points, restarted by the harness if they die.
    const node = (name: string, entry: string, ready: () => Promise<void>) =>
      new ManagedProcess({
        name,
        command: tsx,
        args: [join(projectRoot, entry)],
        env,
        cwd: projectRoot,
        logDir,
        log,
        restartOnCrash: true,
        ready,
      });
    const worker = node('worker', 'workers/main.ts', () =>
      waitForWorkerPolling(connection, {
        namespace: 'default',
        taskQueue,
        activityTaskQueue: `${taskQueue}-payments`,
        since: Date.now(),
        timeoutMs: 180_000,
      }),
    );
    const http = createHttpClient(apiUrl, params.concurrency * 2 + 32);
    const api = node('api', 'api/server.ts', () =>
      until('API /healthz', 120_000, async () => (await http.call('GET', '/healthz')).status === 200),
    );
    lastResort.push(
      () => worker.killNow(),
      () => api.killNow(),
    );
    log('starting the worker and the API');
    await Promise.all([worker.start(), api.start()]);
    cleanups.push(
      () => http.close(),
      () => api.stop(),
      () => worker.stop(),
    );
    const pool = createPool(postgres.url, 4);
    cleanups.push(() => pool.end());
    const stripe = createStripe({ secretKey: stripeKey, apiUrl: fixture.url });
    return {
      dataDir,
      jwtSecret,
      postgres,
      redis,
      temporal,
      worker,
      api,
      fixture,
      client,
      pool,
      stripe,
      http,
      apiUrl,
      stop,
    };
  } catch (error) {
    await stop('all');
    throw error;
  }
}
