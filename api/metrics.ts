// Owns the API's metrics: HTTP requests by route template and status (@hono/prometheus), the checkout's
// business counters (holds, fast rejections, confirms, refund requests, webhooks, rate-limited requests,
// Redis failing open), the seats held past their lease (read from Postgres at scrape time), and
// GET /metrics. Labels are outcomes, error codes and route templates: never a buyer, reservation or
// event id, so every series stays few however large the sale. With METRICS_ENABLED=false the same shape
// does nothing: no /metrics, nothing counted or timed.
import { prometheus } from '@hono/prometheus';
import { Hono, type MiddlewareHandler } from 'hono';
import { Counter, Gauge, Histogram } from 'prom-client';
import { DomainError } from '../src/errors';
import { countSeatsHeldPastLease } from '../src/inventory/past-lease';
import type { Config } from '../src/platform/config';
import type { Pool } from '../src/platform/db';
import type { Logger } from '../src/platform/logger';
import { createMetricsRegistry, metricsContentType, type Registry } from '../src/platform/metrics';
import type { AppEnv } from './env';
import type { Settled } from './workflows/budget';

/**
 * Latency buckets of a hold or a confirm (seconds), fine around the alert thresholds (DESIGN.md: p99
 * confirm latency over 1.5 s warns, over 1.8 s pages) and up to the API's wait budget.
 */
const checkoutLatencyBuckets = [0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.8, 2, 3, 5, 10, 20];

/** Where Redis failed and the API carried on without it (fail open: Postgres still guards every seat). */
export type RedisComponent = 'rate_limit' | 'fast_rejection' | 'waiting_room';

export interface ApiMetricsOptions {
  pool: Pool;
  log: Logger;
  /** The process's registry (api/server.ts adds Node's process metrics); a fresh one when absent. */
  registry?: Registry;
  /** METRICS_ENABLED; on when absent. */
  config?: Pick<Config, 'metricsEnabled'>;
}

/** One waiting room's figures at scrape time. */
export interface RoomGauge {
  eventId: string;
  activeSessions: number;
  tau: number | null;
}

/** What the routes do with a counter: count. */
type Count<L extends string> = Pick<Counter<L>, 'inc'>;

/** Wraps a workflow client call so it is counted and timed by how it ended (see `observed`). */
type Observe = <A extends unknown[], T extends { status: string }, R extends Settled<T>>(
  call: (...args: A) => Promise<R>,
) => (...args: A) => Promise<R>;

export interface ApiMetrics {
  /** False with METRICS_ENABLED=false: then nothing below counts, times or is served. */
  enabled: boolean;
  registry: Registry;
  fastRejections: Count<'request'>;
  webhooks: Count<'outcome'>;
  rateLimited: Count<'limit'>;
  redisFailOpen: Count<'component'>;
  /** Queue joins and admission attempts, by step (join, attempt) and outcome (joined, admitted, waiting, a code). */
  waitingRoom: Count<'step' | 'outcome'>;
  /** Serves each open room's active sessions and tau at scrape time, as `read` finds them. */
  roomGauges(read: () => Promise<RoomGauge[]>): void;
  /** Times every request by its route template (`/v1/reservations/:id`) and status. */
  httpRequests: MiddlewareHandler<AppEnv>;
  /** Counts and times each call by how it ended: `settledAs(view)`, pending, rejected (code) or error. */
  holds: Observe;
  confirms: Observe;
  refundRequests: Observe;
}

export function createApiMetrics({
  pool,
  log,
  registry = createMetricsRegistry(),
  config,
}: ApiMetricsOptions): ApiMetrics {
  if (config?.metricsEnabled === false) return metricsOff(registry);
  const registers = [registry];
  const outcomeAndCode = ['outcome', 'code'] as const;

  const http = prometheus({ registry });

  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
    new Counter<L>({ name, help, labelNames, registers });
  const latency = (name: string, help: string) =>
    new Histogram<'outcome'>({
      name,
      help,
      labelNames: ['outcome'],
      buckets: checkoutLatencyBuckets,
      registers,
    });

  const holds = counter(
    'boxoffice_holds_total',
    'Hold requests that reached the reservation workflow, by outcome (held, pending, rejected, error) and rejection code',
    outcomeAndCode,
  );
  const holdDuration = latency(
    'boxoffice_hold_duration_seconds',
    'Time from the hold request to the workflow answer (Update-with-Start), by outcome',
  );
  const confirms = counter(
    'boxoffice_confirms_total',
    'Confirm (pay) requests, by outcome (confirmed, paying, pending, rejected, error) and rejection code',
    outcomeAndCode,
  );
  const confirmDuration = latency(
    'boxoffice_confirm_duration_seconds',
    'Time from the confirm request to the workflow answer (payment and commit), by outcome',
  );
  const refundRequests = counter(
    'boxoffice_refund_requests_total',
    "Support's refund requests, by outcome (succeeded, refunding, pending, rejected, error) and rejection code",
    outcomeAndCode,
  );
  const fastRejections = counter(
    'boxoffice_fast_rejections_total',
    'Hold requests answered 409 from the cached seat map without starting a workflow, by request kind (seats, section)',
    ['request'],
  );
  const webhooks = counter(
    'boxoffice_webhooks_total',
    'Stripe webhook deliveries, by outcome (signalled, late_payment, ignored, duplicate, invalid_signature)',
    ['outcome'],
  );
  const rateLimited = counter(
    'boxoffice_rate_limited_total',
    'Requests answered 429 RATE_LIMITED, by the policy they hit (ip_holds, buyer_confirms, ...: api/rate-limit.ts)',
    ['limit'],
  );
  const redisFailOpen = counter(
    'boxoffice_redis_fail_open_total',
    'Times Redis failed and the API carried on without it (fail open), by component',
    ['component'],
  );
  new Gauge({
    name: 'boxoffice_seats_held_past_lease',
    help: 'Seats still held after their lease (held_until) ended, read from Postgres at scrape time; NaN when Postgres does not answer',
    registers,
    async collect() {
      try {
        this.set(await countSeatsHeldPastLease(pool));
      } catch (error) {
        log.warn({ err: error }, 'metrics: could not count the seats held past their lease');
        this.set(Number.NaN);
      }
    },
  });
  const waitingRoom = counter(
    'boxoffice_waiting_room_requests_total',
    'Waiting-room queue joins and admission attempts, by step (join, attempt) and outcome (joined, admitted, waiting, or the refusal code)',
    ['step', 'outcome'],
  );
  // The rooms' gauges carry the event id: one series per event with an open room, a handful, never per buyer.
  let readRooms: () => Promise<RoomGauge[]> = async () => [];
  // Both gauges are collected at once (prom-client gathers a scrape's metrics concurrently): one read of
  // the rooms serves both, shared for the moment of the scrape.
  let reading: Promise<RoomGauge[]> | undefined;
  const roomsNow = () => {
    reading ??= readRooms()
      .catch((error: unknown) => {
        log.warn({ err: error }, "metrics: could not read the waiting rooms' state");
        return [];
      })
      .finally(() => setTimeout(() => (reading = undefined), 100).unref());
    return reading;
  };
  new Gauge<'event_id'>({
    name: 'boxoffice_waiting_room_active_sessions',
    help: 'Admitted buyers shopping now, per event with a waiting room this process served recently',
    labelNames: ['event_id'],
    registers,
    async collect() {
      this.reset();
      for (const room of await roomsNow()) this.set({ event_id: room.eventId }, room.activeSessions);
    },
  });
  new Gauge<'event_id'>({
    name: 'boxoffice_waiting_room_tau_seconds',
    help: "The waiting room's pace as its onsale workflow last set it (smaller admits sooner), per event",
    labelNames: ['event_id'],
    registers,
    async collect() {
      this.reset();
      for (const room of await roomsNow())
        if (room.tau !== null) this.set({ event_id: room.eventId }, room.tau);
    },
  });

  return {
    enabled: true,
    registry,
    fastRejections,
    webhooks,
    rateLimited,
    redisFailOpen,
    waitingRoom,
    roomGauges(read) {
      readRooms = read;
    },
    httpRequests: http.registerMetrics as MiddlewareHandler<AppEnv>,
    holds: observed(holds, holdDuration),
    confirms: observed(confirms, confirmDuration),
    refundRequests: observed(refundRequests),
  };
}

/** METRICS_ENABLED=false: the same shape, doing nothing, so no route needs a switch of its own. */
function metricsOff(registry: Registry): ApiMetrics {
  const uncounted = { inc: () => {} };
  const unobserved: Observe = (call) => call;
  return {
    enabled: false,
    registry,
    fastRejections: uncounted,
    webhooks: uncounted,
    rateLimited: uncounted,
    redisFailOpen: uncounted,
    waitingRoom: uncounted,
    roomGauges: () => {},
    httpRequests: async function untimed(_c, next) {
      await next();
    },
    holds: unobserved,
    confirms: unobserved,
    refundRequests: unobserved,
  };
}

/**
 * GET /metrics: the registry in Prometheus's text format (not in the OpenAPI document: it is for
 * operators); no such route with metrics off.
 */
export function metricsRoutes(metrics: Pick<ApiMetrics, 'registry' | 'enabled'>) {
  const app = new Hono<AppEnv>();
  if (!metrics.enabled) return app;
  app.get('/metrics', async (c) =>
    c.body(await metrics.registry.metrics(), 200, { 'content-type': metricsContentType }),
  );
  return app;
}

type Labels = { outcome: string; code?: string };

/**
 * Wraps a workflow client call (answering within the wait budget) so every call is counted by how it
 * ended: the settled view's status (held, confirmed, paying, succeeded, ...), pending when the budget ran
 * out first, rejected with the domain error's code, or error; and timed, when a histogram is given.
 */
function observed(counter: Counter<'outcome' | 'code'>, duration?: Histogram<'outcome'>) {
  return function observe<A extends unknown[], T extends { status: string }, R extends Settled<T>>(
    call: (...args: A) => Promise<R>,
  ): (...args: A) => Promise<R> {
    return async (...args) => {
      const stopTimer = duration?.startTimer();
      let labels: Labels = { outcome: 'error' };
      try {
        const result = await call(...args);
        const settled: Settled<T> = result;
        labels = { outcome: settled.settled ? settled.value.status.toLowerCase() : 'pending' };
        return result;
      } catch (error) {
        if (error instanceof DomainError) labels = { outcome: 'rejected', code: error.code };
        throw error;
      } finally {
        counter.inc(labels);
        stopTimer?.({ outcome: labels.outcome });
      }
    };
  };
}
