// Owns the waiting room's endpoints (DESIGN.md, "Flash-sale front door"): a buyer joins an event's
// queue and attempts admission; anyone reads the room's status; support lists flagged buyers and
// addresses and the sampled joins and attempts. Thin: validate, find the event, call the waiting room.
import { OpenAPIHono } from '@hono/zod-openapi';
import { DomainError } from '../../src/errors';
import type { EventRecord } from '../../src/inventory/events';
import { secured } from '../auth';
import type { AppEnv, RouteDeps } from '../env';
import { EventIdParams } from '../schemas/events';
import { json, jsonBody } from '../schemas/http';
import { problems } from '../schemas/problem';
import {
  AdmissionAnswerSchema,
  AdmissionAttemptSchema,
  FlagListSchema,
  FlagsQuery,
  PlaceSchema,
  QueueJoinSchema,
  QueueStatusSchema,
  SampleListSchema,
} from '../schemas/queue';
import { routesOf } from './route';

const route = routesOf('waiting room');

export function queueRoutes(deps: Pick<RouteDeps, 'config' | 'waitingRoom' | 'events' | 'metrics'>) {
  const app = new OpenAPIHono<AppEnv>();
  const buyer = secured(deps.config.auth, 'buyer');
  const support = secured(deps.config.auth, 'support');

  async function eventOf(eventId: string): Promise<EventRecord> {
    const event = await deps.events.get(eventId);
    if (!event) throw new DomainError('EVENT_NOT_FOUND', `event ${eventId} does not exist`, { eventId });
    return event;
  }

  /** Counts each answer of a queue endpoint by its outcome: the code refused with, or what it gave. */
  async function counted<T>(kind: 'join' | 'attempt', answer: Promise<T>, outcome: (value: T) => string) {
    try {
      const value = await answer;
      deps.metrics.waitingRoom.inc({ step: kind, outcome: outcome(value) });
      return value;
    } catch (error) {
      deps.metrics.waitingRoom.inc({
        step: kind,
        outcome: error instanceof DomainError ? error.code : 'error',
      });
      throw error;
    }
  }

  app.openapi(
    route('post', '/v1/events/{eventId}/queue', {
      summary: "Join an event's waiting room: a signed place in the queue",
      description:
        'The server keeps nothing per waiting buyer: the queue token is your place. A join before ' +
        '`salesOpenAt` gets `salesOpenAt` as its join time, so the whole pre-queue is a lottery. Joining ' +
        'again with a valid token changes nothing.',
      ...buyer,
      request: { params: EventIdParams, body: { ...jsonBody(QueueJoinSchema), required: false } },
      responses: {
        201: json(
          PlaceSchema,
          'your place: attempt admission after retryAfterSeconds, with the challenge solved',
        ),
        ...problems({
          404: 'EVENT_NOT_FOUND',
          409: 'WAITING_ROOM_OFF (hold directly), SOLD_OUT',
          422: 'VALIDATION_FAILED',
          429: 'LOCKED_OUT (too many refused attempts; Retry-After), RATE_LIMITED',
        }),
      },
    }),
    async (c) => {
      const { eventId } = c.req.valid('param');
      const body = c.req.header('content-type') ? c.req.valid('json') : {};
      const event = await eventOf(eventId);
      const place = await counted(
        'join',
        deps.waitingRoom.join(event, deps.waitingRoom.buyerOf(c), body.queueToken),
        () => 'joined',
      );
      return c.json(place, 201);
    },
  );

  app.openapi(
    route('post', '/v1/events/{eventId}/queue/admission', {
      summary: 'Attempt admission: a session to shop in, or your place back with a new backoff',
      description:
        'Admits when your luck (derived by the server from your token) is below 1 - exp(-wait / tau) and a ' +
        'session is free. One admission per buyer per event; the queue token is consumed by it.',
      ...buyer,
      request: { params: EventIdParams, body: jsonBody(AdmissionAttemptSchema) },
      responses: {
        200: json(AdmissionAnswerSchema, 'admitted, or not yet (attempt again after retryAfterSeconds)'),
        ...problems({
          401: 'INVALID_QUEUE_TOKEN: forged or expired',
          403: "INVALID_QUEUE_TOKEN: another buyer's or another event's, or already spent",
          404: 'EVENT_NOT_FOUND',
          409: 'WAITING_ROOM_OFF, SOLD_OUT, ALREADY_ADMITTED',
          422: 'INVALID_SOLUTION, VALIDATION_FAILED',
          429: 'TOO_EARLY (before the backoff; Retry-After), LOCKED_OUT, RATE_LIMITED',
        }),
      },
    }),
    async (c) => {
      const { eventId } = c.req.valid('param');
      const { queueToken, solution } = c.req.valid('json');
      const event = await eventOf(eventId);
      const answer = await counted(
        'attempt',
        deps.waitingRoom.attempt(event, deps.waitingRoom.buyerOf(c), queueToken, solution),
        (a) => (a.admitted ? 'admitted' : 'waiting'),
      );
      if (!answer.admitted) c.header('Retry-After', String(answer.retryAfterSeconds));
      return c.json(answer, 200);
    },
  );

  app.openapi(
    route('get', '/v1/events/{eventId}/queue/status', {
      summary: "The waiting room's state: open, sold out, sessions, pace",
      request: { params: EventIdParams },
      responses: {
        200: json(QueueStatusSchema, "the room's state"),
        ...problems({ 404: 'EVENT_NOT_FOUND' }),
      },
    }),
    async (c) => {
      const { eventId } = c.req.valid('param');
      const event = await eventOf(eventId);
      const counts = await deps.waitingRoom.store.figures(eventId, Date.now());
      const state = counts.room;
      const enabled = event.waitingRoom?.enabled ?? false;
      return c.json(
        {
          enabled,
          phase: enabled ? (state?.phase ?? null) : null,
          open: enabled && (state?.phase === 'OPEN' || state?.phase === 'PAUSED'),
          soldOut: state?.phase === 'SOLD_OUT',
          activeSessions: counts.activeSessions,
          maxActiveSessions: event.waitingRoom?.maxActiveSessions ?? 0,
          tau: state?.tau ?? null,
          admittedTotal: counts.admittedTotal,
        },
        200,
      );
    },
  );

  app.openapi(
    route('get', '/v1/admin/flags', {
      summary: "Buyers and addresses the event's waiting room flagged, most recent first (support)",
      ...support,
      request: { query: FlagsQuery },
      responses: {
        200: json(FlagListSchema, 'flags with their reasons and any lockout'),
        ...problems({ 401: 'missing or invalid bearer token', 403: 'not support', 422: 'VALIDATION_FAILED' }),
      },
    }),
    async (c) => {
      const { eventId } = c.req.valid('query');
      return c.json({ items: await deps.waitingRoom.abuse.list(eventId) }, 200);
    },
  );

  app.openapi(
    route('get', '/v1/admin/queue-samples', {
      summary: "A sample of the event's queue joins and admission attempts, newest first (support)",
      ...support,
      request: { query: FlagsQuery },
      responses: {
        200: json(SampleListSchema, 'sampled joins and attempts (WAITING_ROOM_SAMPLE_RATE)'),
        ...problems({ 401: 'missing or invalid bearer token', 403: 'not support', 422: 'VALIDATION_FAILED' }),
      },
    }),
    async (c) => {
      const { eventId } = c.req.valid('query');
      return c.json({ items: await deps.waitingRoom.abuse.samples(eventId) }, 200);
    },
  );

  return app;
}
