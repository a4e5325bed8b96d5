// Owns the worker's metrics: every activity attempt by activity, task queue, outcome and code (database
// conflicts named), payments and gateway refunds by outcome, the payment queue's rate limit, and the
// endpoint on WORKER_METRICS_PORT that serves them together with the Temporal SDK's own metrics (task
// latencies, slots, polls), which the SDK's runtime exports on a loopback port of its own. With
// METRICS_ENABLED=false the worker process starts none of it.
import { CancelledFailure, type Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { type ActivityInterceptorsFactory, Runtime, type RuntimeOptions } from '@temporalio/worker';
import { Counter, Gauge } from 'prom-client';
import type { PaymentActivities } from '../activities/payments';
import { isErrorCode } from '../src/errors';
import type { Config } from '../src/platform/config';
import { pgErrorCodes } from '../src/platform/db';
import type { Logger } from '../src/platform/logger';
import {
  createMetricsRegistry,
  type MetricsServer,
  type Registry,
  serveMetrics,
} from '../src/platform/metrics';
import { freePort } from '../src/platform/ports';

/** How one activity attempt ended, as the activity attempts counter labels it. */
export interface Attempt {
  outcome: 'completed' | 'rejected' | 'failed' | 'cancelled';
  /** The rejection's error code; for a failure, the database conflict that caused it, if any. */
  code?: string;
  result?: unknown;
}

/** Postgres conflicts a retry resolves: their rate is the "database retry/deadlock rate" alert. */
const databaseConflicts: Record<string, string> = {
  [pgErrorCodes.serializationFailure]: 'serialization_failure',
  [pgErrorCodes.deadlockDetected]: 'deadlock_detected',
};

export function attemptOf(error: unknown): Attempt {
  if (error instanceof CancelledFailure) return { outcome: 'cancelled' };
  // activities/failures.ts turns every business rejection into a non-retryable failure named by its code.
  if (error instanceof ApplicationFailure && error.nonRetryable && isErrorCode(error.type)) {
    return { outcome: 'rejected', code: error.type };
  }
  const pgCode = (error as { code?: unknown } | undefined)?.code;
  const conflict = typeof pgCode === 'string' ? databaseConflicts[pgCode] : undefined;
  return conflict ? { outcome: 'failed', code: conflict } : { outcome: 'failed' };
}

/** A payment or gateway refund's outcome: the status it answered, declined, failed, or error (retried). */
function gatewayOutcome(attempt: Attempt): string {
  if (attempt.outcome === 'completed') {
    const status = (attempt.result as { status?: unknown } | undefined)?.status;
    return typeof status === 'string' ? status : 'succeeded';
  }
  if (attempt.outcome === 'rejected') return attempt.code === 'PAYMENT_DECLINED' ? 'declined' : 'failed';
  return attempt.outcome === 'failed' ? 'error' : attempt.outcome;
}

/**
 * Seconds; the SDK's own buckets for schedule-to-start stop at 100 s then 1000 s, too coarse for the
 * "task backlog older than 5 minutes" alert. The names apply whatever the prefix and suffixes.
 */
const scheduleToStartBuckets = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800];

/**
 * Installs the Temporal SDK's runtime with its Prometheus exporter on a free loopback port and returns
 * that exporter's URL. Must run before anything connects to Temporal: only the runtime's connections
 * made after it (the worker's NativeConnection) emit SDK metrics.
 */
export async function installTemporalMetrics(options: Pick<RuntimeOptions, 'logger'> = {}): Promise<string> {
  const bindAddress = `127.0.0.1:${await freePort()}`;
  Runtime.install({
    ...options,
    telemetryOptions: {
      metrics: {
        prometheus: {
          bindAddress,
          // Prometheus's conventions: counters end in _total, durations in seconds named so.
          countersTotalSuffix: true,
          unitSuffix: true,
          useSecondsForDurations: true,
          histogramBucketOverrides: {
            workflow_task_schedule_to_start_latency: scheduleToStartBuckets,
            activity_schedule_to_start_latency: scheduleToStartBuckets,
          },
        },
      },
    },
  });
  return `http://${bindAddress}/metrics`;
}

export interface WorkerMetricsOptions {
  config: Pick<Config, 'temporal' | 'payments'>;
  /** The process's registry (workers/main.ts adds Node's process metrics); a fresh one when absent. */
  registry?: Registry;
}

export function createWorkerMetrics({ config, registry = createMetricsRegistry() }: WorkerMetricsOptions) {
  const registers = [registry];
  const activityAttempts = new Counter({
    name: 'boxoffice_activity_attempts_total',
    help: 'Activity attempts (local ones too), by activity, task queue, outcome (completed, rejected, failed, cancelled) and code (the rejection; serialization_failure or deadlock_detected for a database conflict)',
    labelNames: ['activity', 'task_queue', 'outcome', 'code'],
    registers,
  });
  const gatewayCounters = {
    chargePayment: new Counter({
      name: 'boxoffice_payments_total',
      help: 'Charge attempts at the gateway, by outcome (succeeded, requires_action, processing, declined, failed, error, cancelled)',
      labelNames: ['outcome'],
      registers,
    }),
    refundPayment: new Counter({
      name: 'boxoffice_refunds_total',
      help: "Refunds at the gateway (support's and the checkout's compensations), by outcome (succeeded, pending, failed, error, cancelled)",
      labelNames: ['outcome'],
      registers,
    }),
  } satisfies Partial<Record<keyof PaymentActivities, Counter<'outcome'>>>;
  new Gauge({
    name: 'boxoffice_payment_rate_limit_per_second',
    help: "The payment task queue's global rate limit (PAYMENT_RATE_LIMIT_PER_SECOND), to read the payment rate against",
    labelNames: ['task_queue'],
    registers,
  }).set({ task_queue: config.temporal.paymentTaskQueue }, config.payments.rateLimitPerSecond);

  function record(info: Context['info'], attempt: Attempt): void {
    activityAttempts.inc({
      activity: info.activityType,
      task_queue: info.taskQueue,
      outcome: attempt.outcome,
      ...(attempt.code && { code: attempt.code }),
    });
    const gateway = gatewayCounters[info.activityType as keyof typeof gatewayCounters];
    gateway?.inc({ outcome: gatewayOutcome(attempt) });
  }

  /** The worker interceptor that counts every attempt of every activity by how it ended. */
  const interceptor: ActivityInterceptorsFactory = (context) => ({
    inbound: {
      async execute(input, next) {
        try {
          const result = await next(input);
          record(context.info, { outcome: 'completed', result });
          return result;
        } catch (error) {
          record(context.info, attemptOf(error));
          throw error;
        }
      },
    },
  });

  return { registry, interceptor };
}

export type WorkerMetrics = ReturnType<typeof createWorkerMetrics>;

/**
 * Serves the worker's metrics and, when `temporalMetricsUrl` is given, the SDK's after them in one
 * document (their names differ: boxoffice_* and temporal_*). An SDK exporter that does not answer costs
 * its part of the scrape, logged, not the whole.
 */
export function serveWorkerMetrics(options: {
  metrics: Pick<WorkerMetrics, 'registry'>;
  port: number;
  host?: string;
  temporalMetricsUrl?: string;
  log: Logger;
}): Promise<MetricsServer> {
  const { metrics, temporalMetricsUrl, log } = options;
  async function temporalMetrics(): Promise<string> {
    if (!temporalMetricsUrl) return '';
    try {
      const response = await fetch(temporalMetricsUrl, { signal: AbortSignal.timeout(5000) });
      if (!response.ok) throw new Error(`answered ${response.status}`);
      return await response.text();
    } catch (error) {
      log.warn({ err: error, temporalMetricsUrl }, "metrics: the Temporal SDK's exporter did not answer");
      return '';
    }
  }
  return serveMetrics({
    port: options.port,
    host: options.host ?? '0.0.0.0',
    render: async () => {
      const [own, temporal] = await Promise.all([metrics.registry.metrics(), temporalMetrics()]);
      return `${own}\n${temporal}`;
    },
  });
}

/**
 * The worker process's metrics, on unless METRICS_ENABLED=false: the SDK's exporter (installed here, so
 * call this before anything connects to Temporal), Boxoffice's counters with Node's process metrics, and
 * both served on WORKER_METRICS_PORT. Undefined, having started nothing, with metrics off.
 */
export async function startWorkerMetrics(
  config: Pick<Config, 'metricsEnabled' | 'workerMetricsPort' | 'temporal' | 'payments'>,
  log: Logger,
  runtime: Pick<RuntimeOptions, 'logger'> = {},
): Promise<(WorkerMetrics & { server: MetricsServer }) | undefined> {
  if (!config.metricsEnabled) return undefined;
  const temporalMetricsUrl = await installTemporalMetrics(runtime);
  const metrics = createWorkerMetrics({ config, registry: createMetricsRegistry({ processMetrics: true }) });
  const server = await serveWorkerMetrics({
    metrics,
    port: config.workerMetricsPort,
    temporalMetricsUrl,
    log,
  });
  return { ...metrics, server };
}
