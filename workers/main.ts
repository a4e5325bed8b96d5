// Owns the worker process: one Worker on the main task queue (workflows, inventory, orders) and one on
// the payment queue (gateway calls, globally rate limited), their metrics on WORKER_METRICS_PORT (unless
// METRICS_ENABLED=false), shut down gracefully on SIGINT/SIGTERM.
import { NativeConnection } from '@temporalio/worker';
import { ConfigError, loadConfig } from '../src/platform/config';
import { createPool } from '../src/platform/db';
import { createLogger } from '../src/platform/logger';
import { createRedis } from '../src/platform/redis';
import { createStripe } from '../src/platform/stripe';
import { startTelemetry } from '../src/platform/telemetry';
import { temporalConnectionOptions } from '../src/platform/temporal';
import { startWorkerMetrics } from './metrics';
import { createWorkers } from './workers';

async function main() {
  const config = loadConfig();
  // First: the clients made below trace only if tracing is on when they are made.
  const telemetry = await startTelemetry(config.telemetry, 'boxoffice-worker');
  const log = createLogger(config.logLevel, 'boxoffice-worker');
  // Before the connection: only connections made after the runtime is installed emit SDK metrics.
  const metrics = await startWorkerMetrics(config, log);
  const connection = await NativeConnection.connect(temporalConnectionOptions(config.temporal)).catch(
    (error: Error) => {
      throw new Error(`Temporal is not answering at ${config.temporal.address}: ${error.message}`);
    },
  );
  const pool = createPool(config.databaseUrl);
  const redis = createRedis(config.redisUrl);
  const stripe = createStripe(config.stripe);
  const workers = await createWorkers({
    connection,
    config,
    deps: { config, pool, redis, stripe, log },
    metrics,
  });
  log.info(
    {
      taskQueue: config.temporal.taskQueue,
      paymentTaskQueue: config.temporal.paymentTaskQueue,
      metrics: metrics ? `http://127.0.0.1:${metrics.server.port}/metrics` : 'off (METRICS_ENABLED=false)',
    },
    'worker started',
  );
  // The SDK's default shutdown signals (SIGINT, SIGTERM, ...) stop polling, let in-flight activities
  // finish within shutdownGraceTime, and then resolve run().
  await Promise.all(workers.map((worker) => worker.run()));
  await Promise.allSettled([pool.end(), connection.close(), metrics?.server.close(), telemetry?.shutdown()]);
  redis.disconnect();
  log.info('worker stopped');
}

main().catch((error: unknown) => {
  process.stderr.write(
    `boxoffice-worker: ${error instanceof ConfigError ? error.message : (error as Error).message}\n`,
  );
  process.exit(1);
});
