// Owns the worker process: one Worker on the main task queue (workflows, inventory, orders) and one on
// the payment queue (gateway calls, globally rate limited), their metrics on WORKER_METRICS_PORT (unless
// METRICS_ENABLED=false), shut down gracefully on SIGINT/SIGTERM.
import { ConfigError, loadConfig } from '../src/platform/config';
import { startWorkerProcess } from './process';
import { createWorkers } from './workers';

async function main() {
  const config = loadConfig();
  const runtime = await startWorkerProcess(config, { name: 'boxoffice-worker' });
  const { log, metrics } = runtime;
  const workers = await createWorkers({
    connection: runtime.connection,
    config,
    deps: runtime.deps,
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
  await runtime.close();
  log.info('worker stopped');
}

main().catch((error: unknown) => {
  process.stderr.write(
    `boxoffice-worker: ${error instanceof ConfigError ? error.message : (error as Error).message}\n`,
  );
  process.exit(1);
});
