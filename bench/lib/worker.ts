// Owns the benchmark's worker process: workers/main.ts's setup (same createWorkers, same clients, the same
// tracing and metrics switches) plus the probe workflow and activity, with extra Worker options from
// BENCH_WORKER_OPTIONS (JSON), to measure a tuning before adopting it.
import { fileURLToPath } from 'node:url';
import { NativeConnection, type WorkerOptions } from '@temporalio/worker';
import { loadConfig } from '../../src/platform/config';
import { createPool } from '../../src/platform/db';
import { createLogger } from '../../src/platform/logger';
import { createRedis } from '../../src/platform/redis';
import { createStripe } from '../../src/platform/stripe';
import { startTelemetry } from '../../src/platform/telemetry';
import { temporalConnectionOptions } from '../../src/platform/temporal';
import { startWorkerMetrics } from '../../workers/metrics';
import { createWorkers } from '../../workers/workers';
import { createProbeActivities } from '../probe/activities';

async function main() {
  const config = loadConfig();
  const { poolSize, ...overrides } = JSON.parse(
    process.env.BENCH_WORKER_OPTIONS ?? '{}',
  ) as Partial<WorkerOptions> & {
    poolSize?: number;
  };
  // In workers/main.ts's order: tracing before the clients, metrics before the connection.
  const telemetry = await startTelemetry(config.telemetry, 'boxoffice-worker');
  const log = createLogger(config.logLevel, 'boxoffice-bench-worker');
  const metrics = await startWorkerMetrics(config, log);
  const connection = await NativeConnection.connect(temporalConnectionOptions(config.temporal));
  const pool = createPool(config.databaseUrl, poolSize);
  const redis = createRedis(config.redisUrl);
  const stripe = createStripe(config.stripe);
  const workers = await createWorkers({
    connection,
    config,
    deps: { config, pool, redis, stripe, log },
    workflowsPath: fileURLToPath(new URL('../probe/workflows.ts', import.meta.url)),
    extraActivities: createProbeActivities(),
    metrics,
    overrides,
  });
  log.info({ overrides, poolSize, metricsPort: metrics?.server.port }, 'worker started');
  await Promise.all(workers.map((worker) => worker.run()));
  await Promise.allSettled([pool.end(), connection.close(), metrics?.server.close(), telemetry?.shutdown()]);
  redis.disconnect();
}

main().catch((error: unknown) => {
  process.stderr.write(`bench worker: ${(error as Error).message}\n`);
  process.exit(1);
});
