// Owns how Boxoffice's Workers are built, so the worker process, tests and benchmarks run the same setup.
import { fileURLToPath } from 'node:url';
import { type NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { type ActivityDeps, createMainQueueActivities, createPaymentQueueActivities } from '../activities';
import type { Config } from '../src/platform/config';
import type { WorkerMetrics } from './metrics';

export interface CreateWorkersOptions {
  connection: NativeConnection;
  config: Config;
  deps: ActivityDeps;
  /** A prebuilt bundle (tests, production images); bundled from workflows/ at start when absent. */
  workflowBundlePath?: string;
  /** Another workflows entry than workflows/index.ts (the benchmark's, with its probe); not with a bundle. */
  workflowsPath?: string;
  /** Activities registered on the main queue beside Boxoffice's own (the benchmark's probe). */
  extraActivities?: WorkerOptions['activities'];
  /** Counts every activity attempt of both workers (workers/metrics.ts). */
  metrics?: Pick<WorkerMetrics, 'interceptor'>;
  /** Extra options for both workers, e.g. shorter shutdown in tests. */
  overrides?: Partial<WorkerOptions>;
}

export async function createWorkers(options: CreateWorkersOptions): Promise<Worker[]> {
  const { connection, config, deps } = options;
  const interceptors = options.metrics && { activity: [options.metrics.interceptor] };
  const workflows = options.workflowBundlePath
    ? { workflowBundle: { codePath: options.workflowBundlePath } }
    : {
        workflowsPath:
          options.workflowsPath ?? fileURLToPath(new URL('../workflows/index.ts', import.meta.url)),
      };
  const main = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    ...workflows,
    activities: { ...createMainQueueActivities(deps), ...options.extraActivities },
    interceptors,
    shutdownGraceTime: '10s',
    ...options.overrides,
  });
  const payments = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.paymentTaskQueue,
    activities: createPaymentQueueActivities(deps),
    interceptors,
    // The one global knob for a rate-limited gateway: the server hands out at most this many payment
    // activities per second across every worker, so a rush queues inside Temporal instead of 429s.
    maxTaskQueueActivitiesPerSecond: config.payments.rateLimitPerSecond,
    // A cancelled charge learns of it on its next heartbeat: within a second, not 80% of its timeout.
    maxHeartbeatThrottleInterval: '1s',
    shutdownGraceTime: '30s',
    ...options.overrides,
  });
  return [main, payments];
}
