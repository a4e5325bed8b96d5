// Owns the HTTP application: middleware order, route registration, OpenAPI document and the single
// place where thrown errors become problem+json responses.

import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { OpenAPIHono } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { requestId } from 'hono/request-id';
import { createLatencyWindow, reportCheckoutHealth } from '../src/checkout/health';
import { createCheckoutHolds } from '../src/checkout/hold';
import { DomainError } from '../src/errors';
import { getEvent } from '../src/inventory/events';
import { createSeatMap } from '../src/inventory/seat-map';
import { createLive } from '../src/live';
import { isPoolExhausted, type Pool } from '../src/platform/db';
import { isDependencyDown } from '../src/platform/outage';
import { createTtlCache } from '../src/platform/ttl-cache';
import { docsRoutes } from './docs';
import type { AppDeps, AppEnv, RouteDeps } from './env';
import { createFastRejection } from './fast-rejection';
import { createApiMetrics, metricsRoutes } from './metrics';
import { pageRoutes } from './pages';
import { domainProblem, httpProblem, problem, shortened } from './problem';
import { createRateLimits, rateLimitHeaderComponents } from './rate-limit';
import { eventRoutes } from './routes/events';
import { healthRoutes } from './routes/health';
import { liveRoutes } from './routes/live';
import { orderRoutes } from './routes/orders';
import { queueRoutes } from './routes/queue';
import { refundRoutes } from './routes/refunds';
import { reservationRoutes } from './routes/reservations';
import { webhookRoutes } from './routes/webhooks';
import { requestTracing } from './tracing';
import { validationHook } from './validation';
import { createApiWaitingRoom } from './waiting-room';
import { createOnsale } from './workflows/onsale';
import { createPayments } from './workflows/payments';
import { createRefunds } from './workflows/refunds';
import { createCheckout } from './workflows/reservations';

export const maxBodyBytes = 256 * 1024;

/**
 * Events as the routes read them: at most a second old (an organizer's change reaches every process
 * within it), so a flash sale's crowd costs one Postgres read per event per second; concurrent first
 * requests for one event share one lookup.
 */
function createEventCache(pool: Pool) {
  return createTtlCache((eventId) => getEvent(pool, eventId), { ttlMs: 1000, maxEntries: 10_000 });
}

/** The clients plus the services built once from them, which the routes share. */
export function createRouteDeps(deps: AppDeps): RouteDeps {
  const seatMap = createSeatMap(deps);
  const metrics = createApiMetrics(deps);
  const holds = createCheckoutHolds({
    pool: deps.pool,
    seatMap,
    lease: { graceSeconds: deps.config.holdGraceSeconds },
  });
  const checkout = createCheckout({ ...deps, holds });
  // The checkout path's health, which the waiting room's controller steers by (src/checkout/health.ts).
  const holdLatency = createLatencyWindow();
  const timedHold: typeof checkout.hold = async (...args) => {
    const started = performance.now();
    try {
      return await checkout.hold(...args);
    } finally {
      holdLatency.record(performance.now() - started);
    }
  };
  reportCheckoutHealth(deps.redis, `${hostname()}:${process.pid}:${randomUUID()}`, () => ({
    holdP99Ms: holdLatency.p99(),
    confirmLoad: checkout.paymentLoad(),
  }));
  const refunds = createRefunds(deps);
  const events = createEventCache(deps.pool);
  const waitingRoom = createApiWaitingRoom({ ...deps, metrics });
  metrics.roomGauges(() => waitingRoom.recentRooms());
  return {
    ...deps,
    seatMap,
    // Every hold, confirm and refund request is counted and timed by how it ended.
    checkout: {
      ...checkout,
      hold: metrics.holds(timedHold),
      confirm: metrics.confirms(checkout.confirm),
    },
    refunds: { ...refunds, refund: metrics.refundRequests(refunds.refund) },
    payments: createPayments(deps),
    fastRejection: createFastRejection(deps.redis, seatMap, metrics),
    metrics,
    events,
    waitingRoom,
    onsale: createOnsale(deps),
    live: createLive({ ...deps, seatMap }),
  };
}

/** The app on `deps`; a suite that inspects the services (the live streams' stats) passes them built. */
export function createApp(deps: AppDeps, routeDeps: RouteDeps = createRouteDeps(deps)) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  // First: everything after, and each log line it writes, runs inside the request's span.
  for (const middleware of requestTracing()) app.use(middleware);
  app.use(routeDeps.metrics.httpRequests);
  app.use(requestId({ headerName: 'x-request-id' }));
  app.use(async function requestLogging(c, next) {
    const log = deps.log.child({ requestId: c.get('requestId') });
    c.set('log', log);
    const started = performance.now();
    await next();
    log.info(
      {
        method: c.req.method,
        path: c.req.path,
        status: c.res.status,
        ms: Math.round(performance.now() - started),
      },
      'request',
    );
  });
  // Before anything reads the request: a flood is refused for the price of one Redis round trip.
  app.use(createRateLimits({ ...deps, metrics: routeDeps.metrics }).byAddress);
  app.use(
    bodyLimit({
      maxSize: maxBodyBytes,
      onError: (c) => problem(c, 'PAYLOAD_TOO_LARGE', `request body must be at most ${maxBodyBytes} bytes`),
    }),
  );

  app.route('/', healthRoutes(routeDeps));
  app.route('/', metricsRoutes(routeDeps.metrics));
  app.route('/', eventRoutes(routeDeps));
  app.route('/', queueRoutes(routeDeps));
  app.route('/', liveRoutes(routeDeps));
  app.route('/', reservationRoutes(routeDeps));
  app.route('/', orderRoutes(routeDeps));
  app.route('/', refundRoutes(routeDeps));
  app.route('/', webhookRoutes(routeDeps));

  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'Boxoffice API',
      version: '1.0.0',
      description:
        'Durable ticket checkout for flash sales. Errors are application/problem+json.\n\n' +
        'Web pages served by this API: [events](/), an event page (`/events/{eventId}`: live seat map, ' +
        'waiting room, checkout), an order (`/orders/{orderId}`, tickets as QR codes), the organizer ' +
        'dashboard (`/organizer/events/{eventId}`) and [sign-in](/sign-in).',
    },
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
  });
  for (const [name, header] of Object.entries(rateLimitHeaderComponents)) {
    app.openAPIRegistry.registerComponent('headers', name, header);
  }
  app.route('/', docsRoutes());
  app.route('/', pageRoutes(routeDeps));

  app.notFound((c) => problem(c, 'NOT_FOUND', `no route for ${c.req.method} ${shortened(c.req.path)}`));
  app.onError((error, c) => {
    if (error instanceof DomainError) return domainProblem(c, error);
    if (error instanceof HTTPException && error.status < 500) return httpProblem(c, error);
    // No free connection in time: too much load, not a bug; the client should retry.
    if (isPoolExhausted(error)) {
      c.header('Retry-After', '1');
      return problem(c, 'SERVICE_UNAVAILABLE', 'the service is overloaded; retry shortly');
    }
    // Postgres, Temporal or Redis down: not a bug either; logged for operators, a retry for the client.
    if (isDependencyDown(error)) {
      (c.get('log') ?? deps.log).warn({ err: error }, 'a dependency is unavailable');
      c.header('Retry-After', '2');
      return problem(c, 'SERVICE_UNAVAILABLE', 'a service this request needs is unavailable; retry shortly');
    }
    (c.get('log') ?? deps.log).error({ err: error }, 'unhandled error');
    return problem(c, 'INTERNAL', 'an internal error occurred; it has been logged');
  });
  return app;
}
