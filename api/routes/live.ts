// Owns the live endpoints: the seat map as Server-Sent Events (anyone), and the sales view with its
// stream (the event's organizer). Streams are admitted up to the process's cap and, when the client
// leaves, give back everything they took: their feed listeners, their heartbeat and their slot.
import { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { type SSEStreamingApi, streamSSE } from 'hono/streaming';
import { DomainError } from '../../src/errors';
import { getEvent } from '../../src/inventory/events';
import { type Admission, openSeatStream } from '../../src/live';
import type { Principal } from '../auth';
import { secured } from '../auth';
import type { AppEnv, RouteDeps } from '../env';
import { EventIdParams } from '../schemas/events';
import { json } from '../schemas/http';
import {
  eventStream,
  SalesSchema,
  SeatStreamHeaders,
  SeatStreamQuery,
  seatStreamDescription,
} from '../schemas/live';
import { problems } from '../schemas/problem';
import { routesOf } from './route';

const route = routesOf('live');

/** How long a client refused for the cap should wait; streams end and free slots all the time. */
const fullRetryAfterSeconds = 5;
/** What a slow client may have waiting (about 10,000 transitions) before its stream ends; it resumes by id. */
const maxBacklogChars = 1_000_000;

const missing = (eventId: string) =>
  new DomainError('EVENT_NOT_FOUND', `event ${eventId} does not exist`, { eventId });

export function liveRoutes(deps: Pick<RouteDeps, 'config' | 'pool' | 'seatMap' | 'live' | 'log'>) {
  const app = new OpenAPIHono<AppEnv>();
  const organizer = secured(deps.config.auth, 'organizer');

  function admit(): Admission {
    const admission = deps.live.admit();
    if (!admission) {
      throw new DomainError(
        'SERVICE_UNAVAILABLE',
        `this server serves ${deps.config.live.maxSubscribers} live streams already; retry shortly`,
        { retryAfterSeconds: fullRetryAfterSeconds },
      );
    }
    return admission;
  }

  /** The event, if it is the principal's: another organizer's event is as absent as none at all. */
  async function ownEvent(eventId: string, principal: Principal) {
    const event = await getEvent(deps.pool, eventId);
    if (!event || event.createdBy !== principal.userId) throw missing(eventId);
    return event;
  }

  /**
   * Answers with an event stream fed by `start`, which runs once the stream exists and resolves when
   * the stream should end by itself; the client leaving ends it too. `cleanup` runs either way.
   */
  function serveStream(
    c: Context<AppEnv>,
    admission: Admission,
    start: (stream: SSEStreamingApi) => Promise<unknown>,
    cleanup: () => void,
  ): Response {
    return streamSSE(c, async (stream) => {
      const left = new Promise<void>((resolve) => stream.onAbort(resolve));
      admission.heartbeat(() => void stream.write(': heartbeat\n\n'));
      try {
        await Promise.race([start(stream), left]);
      } catch (error) {
        (c.get('log') ?? deps.log).warn({ err: error }, 'live stream failed');
      } finally {
        cleanup();
        admission.release();
      }
    });
  }

  app.openapi(
    route('get', '/v1/events/{eventId}/seats/stream', {
      summary: 'The seat map, live: every committed transition as Server-Sent Events',
      description: seatStreamDescription,
      request: { params: EventIdParams, query: SeatStreamQuery, headers: SeatStreamHeaders },
      responses: {
        200: eventStream('the seat map as it changes'),
        ...problems({
          404: 'EVENT_NOT_FOUND',
          422: 'VALIDATION_FAILED: an unknown section, or a Last-Event-ID this stream never sent',
          503: 'SERVICE_UNAVAILABLE: the server serves its limit of live streams, or Redis is down (Retry-After)',
        }),
      },
    }),
    async (c) => {
      const { eventId } = c.req.valid('param');
      const { section } = c.req.valid('query');
      const lastEventId = c.req.valid('header')['last-event-id'];
      const event = await getEvent(deps.pool, eventId);
      if (!event) throw missing(eventId);
      if (section !== undefined && !event.sections.some((s) => s.id === section)) {
        throw new DomainError('VALIDATION_FAILED', `event ${eventId} has no section ${section}`, {
          errors: [{ path: 'section', message: 'unknown section' }],
        });
      }
      const admission = admit();
      // Subscribed before the answer starts, so a Redis outage is a 503 rather than an empty stream.
      let opened: (stream: SSEStreamingApi) => void = () => undefined;
      const ready = new Promise<SSEStreamingApi>((resolve) => {
        opened = resolve;
      });
      const write = async (text: string) => (await ready).write(text);
      const seats = await openSeatStream({
        eventId,
        section,
        resumeFrom: lastEventId === undefined ? undefined : Number(lastEventId),
        seatMap: deps.seatMap,
        feed: deps.live.feed,
        availability: deps.live.availability,
        write,
        maxBacklogChars,
      }).catch((error: unknown) => {
        admission.release();
        throw error;
      });
      return serveStream(
        c,
        admission,
        async (stream) => {
          opened(stream);
          const { reason, error } = await seats.ended;
          (c.get('log') ?? deps.log).info({ eventId, reason, err: error }, 'seat stream ended');
        },
        seats.close,
      );
    },
  );

  app.openapi(
    route('get', '/v1/events/{eventId}/sales', {
      summary:
        "An event's sales: seats per section and price tier, money, orders and the funnel (its organizer)",
      ...organizer,
      request: { params: EventIdParams },
      responses: {
        200: json(SalesSchema, 'the sales view'),
        ...problems({
          401: 'missing or invalid bearer token',
          403: 'not an organizer',
          404: "EVENT_NOT_FOUND: no such event, or another organizer's",
        }),
      },
    }),
    async (c) => {
      const { eventId } = c.req.valid('param');
      await ownEvent(eventId, c.get('principal'));
      const view = await deps.live.salesOf(eventId);
      if (!view) throw missing(eventId);
      return c.json(view, 200);
    },
  );

  app.openapi(
    route('get', '/v1/events/{eventId}/sales/stream', {
      summary: "An event's sales view, pushed as Server-Sent Events when it changes (its organizer)",
      description:
        '`event: sales`, `data:` the sales view (as GET /v1/events/{eventId}/sales answers): once at the ' +
        'start, then whenever it changes, at most once per LIVE_PUSH_INTERVAL_MS; `: heartbeat` comments ' +
        'every LIVE_HEARTBEAT_SECONDS.',
      ...organizer,
      request: { params: EventIdParams },
      responses: {
        200: eventStream('the sales view as it changes'),
        ...problems({
          401: 'missing or invalid bearer token',
          403: 'not an organizer',
          404: "EVENT_NOT_FOUND: no such event, or another organizer's",
          503: 'SERVICE_UNAVAILABLE: the server serves its limit of live streams, or Redis is down (Retry-After)',
        }),
      },
    }),
    async (c) => {
      const { eventId } = c.req.valid('param');
      await ownEvent(eventId, c.get('principal'));
      const admission = admit();
      // Pushes are written one after another, the first view before any of them.
      let writes = Promise.resolve();
      let stream: SSEStreamingApi | undefined;
      const pending: string[] = [];
      const push = (data: string) => {
        if (!stream) return void pending.push(data);
        const open = stream;
        writes = writes.then(() => open.writeSSE({ event: 'sales', data }));
      };
      const stop = await deps.live.sales
        .subscribe(eventId, (view) => push(JSON.stringify(view)))
        .catch((error: unknown) => {
          admission.release();
          throw error;
        });
      const first = await deps.live.salesOf(eventId).catch((error: unknown) => {
        stop();
        admission.release();
        throw error;
      });
      return serveStream(
        c,
        admission,
        async (opened) => {
          stream = opened;
          push(JSON.stringify(first));
          for (const data of pending.splice(0)) push(data);
          // Runs until the client leaves.
          await new Promise(() => undefined);
        },
        stop,
      );
    },
  );

  return app;
}
