// Owns what every worker process does around its Workers, in the order it must: tracing before the
// clients (they trace only if it is on when they are made), metrics before the Temporal connection (only
// connections made after the SDK runtime is installed emit its metrics), then the clients; and the
// shutdown that closes them all once the Workers have stopped.
import { NativeConnection, Runtime } from '@temporalio/worker';
import type { Config } from '../src/platform/config';
import { createPool } from '../src/platform/db';
import { createLogger } from '../src/platform/logger';
import { createRedis } from '../src/platform/redis';
import { createStripe } from '../src/platform/stripe';
import { startTelemetry } from '../src/platform/telemetry';
import { temporalConnectionOptions } from '../src/platform/temporal';
import { startWorkerMetrics } from './metrics';
import { sdkLoggerOf } from './sdk-logger';

/** Starts telemetry, metrics and every client a worker needs; `close()` stops them after the Workers. */
export async function startWorkerProcess(config: Config, options: { name: string; poolSize?: number }) {
  const telemetry = await startTelemetry(config.telemetry, 'boxoffice-worker');
  const log = createLogger(config.logLevel, options.name);
  // The SDK's runtime is installed once, before the connection: with the metrics exporter, or without.
  const logger = sdkLoggerOf(log);
  const metrics = await startWorkerMetrics(config, log, { logger });
  if (!metrics) Runtime.install({ logger });
  const connection = await NativeConnection.connect(temporalConnectionOptions(config.temporal)).catch(
    (error: Error) => {
      throw new Error(`Temporal is not answering at ${config.temporal.address}: ${error.message}`);
    },
  );
  const pool = createPool(config.databaseUrl, options.poolSize);
  const redis = createRedis(config.redisUrl);
  const stripe = createStripe(config.stripe);
  return {
    log,
    metrics,
    connection,
    deps: { config, pool, redis, stripe, log },
    async close(): Promise<void> {
      await Promise.allSettled([
        pool.end(),
        connection.close(),
        metrics?.server.close(),
        telemetry?.shutdown(),
      ]);
      redis.disconnect();
    },
  };
}
