// Owns how Boxoffice's Workers are built, so the worker process, tests and benchmarks run the same setup.
import { type NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { type ActivityDeps, createMainQueueActivities, createPaymentQueueActivities } from '../activities';
import type { Config } from '../src/platform/config';
import { workerTracing } from '../src/platform/telemetry';
import { workflowInterceptorModules, workflowsEntry } from './bundle';
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
  // Tracing first, so an activity's span also covers what the metrics interceptor does.
  const tracing = workerTracing();
  const interceptors = {
    activity: [
      ...(tracing.interceptors?.activity ?? []),
      ...(options.metrics ? [options.metrics.interceptor] : []),
    ],
  };
  const workflows = options.workflowBundlePath
    ? { workflowBundle: { codePath: options.workflowBundlePath } }
    : { workflowsPath: options.workflowsPath ?? workflowsEntry };
  const main = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    ...workflows,
    activities: { ...createMainQueueActivities(deps), ...options.extraActivities },
    interceptors: {
      ...interceptors,
      // Bundled with the workflows at start; a prebuilt bundle has them already (workers/bundle.ts).
      ...(!options.workflowBundlePath && { workflowModules: workflowInterceptorModules }),
    },
    sinks: tracing.sinks,
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
