// Owns the API process: read config, connect clients, serve Hono on PORT, shut down cleanly on signals.
import { serve } from '@hono/node-server';
import { ConfigError, loadConfig } from '../src/platform/config';
import { createPool } from '../src/platform/db';
import { createLogger } from '../src/platform/logger';
import { createMetricsRegistry } from '../src/platform/metrics';
import { createRedis } from '../src/platform/redis';
import { createStripe } from '../src/platform/stripe';
import { startTelemetry } from '../src/platform/telemetry';
import { connectTemporalClient } from '../src/platform/temporal';
import { createApp } from './app';

async function main() {
  const config = loadConfig();
  // First: the clients made below trace only if tracing is on when they are made.
  const telemetry = await startTelemetry(config.telemetry, 'boxoffice-api');
  const log = createLogger(config.logLevel, 'boxoffice-api');
  const pool = createPool(config.databaseUrl);
  const redis = createRedis(config.redisUrl);
  const temporal = await connectTemporalClient(config.temporal).catch((error: Error) => {
    throw new Error(`Temporal is not answering at ${config.temporal.address}: ${error.message}`);
  });
  const stripe = createStripe(config.stripe);
  const registry = createMetricsRegistry({ processMetrics: config.metricsEnabled });
  const app = createApp({ config, pool, redis, temporal, stripe, log, registry });

  const server = serve({ fetch: app.fetch, port: config.port, hostname: '0.0.0.0' }, (info) => {
    log.info({ port: info.port }, `API listening on http://127.0.0.1:${info.port}`);
  });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'API shutting down');
    server.close(async () => {
      await Promise.allSettled([pool.end(), temporal.connection.close(), telemetry?.shutdown()]);
      redis.disconnect();
      process.exit(0);
    });
    // Keep-alive connections must not hold the process open forever.
    setTimeout(() => process.exit(0), 5000).unref();
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  const message = error instanceof ConfigError ? error.message : (error as Error).message;
  process.stderr.write(`boxoffice-api: ${message}\n`);
  process.exit(1);
});
