// Owns the benchmark's worker process: workers/main.ts's setup (same createWorkers, same clients) plus
// the probe workflow and activity, with extra Worker options from BENCH_WORKER_OPTIONS (JSON), to
// measure a tuning before adopting it.
import { fileURLToPath } from 'node:url';
import { NativeConnection, type WorkerOptions } from '@temporalio/worker';
import { loadConfig } from '../../src/platform/config';
import { createPool } from '../../src/platform/db';
import { createLogger } from '../../src/platform/logger';
import { createRedis } from '../../src/platform/redis';
import { createStripe } from '../../src/platform/stripe';
import { temporalConnectionOptions } from '../../src/platform/temporal';
import { createWorkers } from '../../workers/workers';
import { createProbeActivities } from '../probe/activities';

async function main() {
  const config = loadConfig();
  const { poolSize, ...overrides } = JSON.parse(
    process.env.BENCH_WORKER_OPTIONS ?? '{}',
  ) as Partial<WorkerOptions> & {
    poolSize?: number;
  };
  const log = createLogger(config.logLevel, 'boxoffice-bench-worker');
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
    overrides,
  });
  log.info({ overrides, poolSize }, 'worker started');
  await Promise.all(workers.map((worker) => worker.run()));
  await Promise.allSettled([pool.end(), connection.close()]);
  redis.disconnect();
}

main().catch((error: unknown) => {
  process.stderr.write(`bench worker: ${(error as Error).message}\n`);
  process.exit(1);
});
