// Owns the benchmark's worker process: workers/main.ts's setup (same createWorkers, same clients, the same
// tracing and metrics switches) plus the probe workflow and activity, with extra Worker options from
// BENCH_WORKER_OPTIONS (JSON), to measure a tuning before adopting it.
import { fileURLToPath } from 'node:url';
import type { WorkerOptions } from '@temporalio/worker';
import { loadConfig } from '../../src/platform/config';
import { startWorkerProcess } from '../../workers/process';
import { createWorkers } from '../../workers/workers';
import { createProbeActivities } from '../probe/activities';

async function main() {
  const config = loadConfig();
  const { poolSize, ...overrides } = JSON.parse(
    process.env.BENCH_WORKER_OPTIONS ?? '{}',
  ) as Partial<WorkerOptions> & {
    poolSize?: number;
  };
  const runtime = await startWorkerProcess(config, { name: 'boxoffice-bench-worker', poolSize });
  const { log, metrics } = runtime;
  const workers = await createWorkers({
    connection: runtime.connection,
    config,
    deps: runtime.deps,
    workflowsPath: fileURLToPath(new URL('../probe/workflows.ts', import.meta.url)),
    extraActivities: createProbeActivities(),
    metrics,
    overrides,
  });
  log.info({ overrides, poolSize, metricsPort: metrics?.server.port }, 'worker started');
  await Promise.all(workers.map((worker) => worker.run()));
  await runtime.close();
}

main().catch((error: unknown) => {
  process.stderr.write(`bench worker: ${(error as Error).message}\n`);
  process.exit(1);
});
