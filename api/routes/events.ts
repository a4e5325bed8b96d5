// Owns the event endpoints: organizers create events; anyone lists them, reads one, its cached seat map
// and its per-section availability, the last three cacheable (ETag, Cache-Control, 304: api/cache.ts).
import { OpenAPIHono } from '@hono/zod-openapi';
import { DomainError } from '../../src/errors';
import { createEvent, getEvent, listEvents, updateEvent } from '../../src/inventory/events';
import { secured } from '../auth';
import {
  cacheableResponses,
  cachedRead,
  digestETag,
  eventCaching,
  IfNoneMatchHeaders,
  seatMapCaching,
  seatMapETag,
} from '../cache';
import type { AppEnv, RouteDeps } from '../env';
import {
  AvailabilitySchema,
  EventCreateSchema,
  EventIdParams,
  EventListQuery,
  EventListSchema,
  EventPatchSchema,
  EventSchema,
  SeatMapQuery,
  SeatMapSchema,
} from '../schemas/events';
import { json, jsonBody } from '../schemas/http';
import { problems } from '../schemas/problem';
import { routesOf } from './route';

const route = routesOf('events');

const eventMissing = problems({ 404: 'EVENT_NOT_FOUND' });

/** What was read of an event, or 404 EVENT_NOT_FOUND when there is no such event. */
function found<T>(eventId: string, value: T | null | undefined): T {
  if (!value) throw new DomainError('EVENT_NOT_FOUND', `event ${eventId} does not exist`, { eventId });
  return value;
}

export function eventRoutes(deps: Pick<RouteDeps, 'config' | 'pool' | 'seatMap' | 'events' | 'onsale'>) {
  const app = new OpenAPIHono<AppEnv>();
  const organizer = secured(deps.config.auth, 'organizer');

  app.openapi(
    route('post', '/v1/events', {
      summary: 'Create an event with its seat map (organizer)',
      ...organizer,
      request: { body: jsonBody(EventCreateSchema) },
      responses: {
        201: json(EventSchema, 'created; Location names the event'),
        ...problems({
          401: 'missing or invalid bearer token',
          403: 'not an organizer',
          413: 'body larger than 256 KiB',
          422: 'VALIDATION_FAILED: the body names what is wrong',
        }),
      },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const event = await createEvent(deps.pool, { ...body, createdBy: c.get('principal').userId });
      // Browsing starts from a warm map; without Redis the map fills on its first read instead.
      await deps.seatMap.fill(event.id);
      // A waiting room's onsale workflow starts with its event: it opens the room at salesOpenAt.
      await deps.onsale.apply(event);
      c.header('Location', `/v1/events/${event.id}`);
      return c.json(event, 201);
    },
  );

  app.openapi(
    route('patch', '/v1/events/{eventId}', {
      summary:
        "Change an event's settings: name, sale opening, hold, buyer limit, waiting room (its organizer)",
      description:
        'Only the fields given change. Enabling a waiting room starts its onsale workflow, which opens the ' +
        'room at `salesOpenAt`; switching it off or removing it (`null`) closes the room.',
      ...organizer,
      request: { params: EventIdParams, body: jsonBody(EventPatchSchema) },
      responses: {
        200: json(EventSchema, 'the event as changed'),
        ...problems({
          401: 'missing or invalid bearer token',
          403: 'not an organizer',
          404: "EVENT_NOT_FOUND (also another organizer's event)",
          422: 'VALIDATION_FAILED: the body names what is wrong',
        }),
      },
    }),
    async (c) => {
      const { eventId } = c.req.valid('param');
      const changes = c.req.valid('json');
      const organizerId = c.get('principal').userId;
      const before = await getEvent(deps.pool, eventId);
      // Another organizer's event is as absent as a missing one: nobody learns which ids exist.
      if (!before || before.createdBy !== organizerId) found(eventId, undefined);
      const salesOpenAt = changes.salesOpenAt === undefined ? before?.salesOpenAt : changes.salesOpenAt;
      if (before && salesOpenAt && Date.parse(salesOpenAt) >= Date.parse(before.startsAt)) {
        throw new DomainError('VALIDATION_FAILED', 'salesOpenAt must be before the event starts', {
          errors: [{ path: 'salesOpenAt', message: `must be before startsAt (${before.startsAt})` }],
        });
      }
      const event = found(eventId, await updateEvent(deps.pool, eventId, organizerId, changes));
      deps.events.forget(eventId);
      if (changes.waitingRoom !== undefined || changes.salesOpenAt !== undefined) {
        await deps.onsale.apply(event, before);
      }
      return c.json(event, 200);
    },
  );

  app.openapi(
    route('get', '/v1/events', {
      summary: 'List events, newest first',
      request: { query: EventListQuery },
      responses: {
        200: json(EventListSchema, 'a page of events'),
        ...problems({ 422: 'VALIDATION_FAILED' }),
      },
    }),
    async (c) => {
      const { limit, cursor } = c.req.valid('query');
      return c.json(await listEvents(deps.pool, { limit, after: cursor }), 200);
    },
  );

  app.openapi(
    route('get', '/v1/events/{eventId}', {
      summary: 'An event with its sections (cacheable: ETag, 304)',
      request: { params: EventIdParams, headers: IfNoneMatchHeaders },
      responses: { ...cacheableResponses(json(EventSchema, 'the event')), ...eventMissing },
    }),
    async (c) => {
      const { eventId } = c.req.valid('param');
      // Serialized once: the ETag is the digest of exactly the bytes sent.
      const body = JSON.stringify(found(eventId, await getEvent(deps.pool, eventId)));
      if (cachedRead(c, eventCaching, digestETag(body))) return c.body(null, 304);
      return c.body(body, 200, { 'content-type': 'application/json' });
    },
  );

  app.openapi(
    route('get', '/v1/events/{eventId}/seats', {
      summary: 'The seat map, optionally of one section, a page at a time (cached, eventually consistent)',
      description:
        'Seats in display order (section, row, seat), at most `limit` (1000) per answer; while more follow ' +
        'the answer carries `nextCursor`, to pass as `cursor`. Without `section` the pages run through the ' +
        "whole venue. The ETag is the seat map's version: it changes with every seat that changes.",
      request: { params: EventIdParams, query: SeatMapQuery, headers: IfNoneMatchHeaders },
      responses: {
        ...cacheableResponses(json(SeatMapSchema, 'the seat map')),
        ...problems({ 404: 'EVENT_NOT_FOUND', 422: 'VALIDATION_FAILED' }),
      },
    }),
    async (c) => {
      const { eventId } = c.req.valid('param');
      const { section, limit, cursor } = c.req.valid('query');
      const page = { offset: cursor === undefined ? 0 : Number(cursor), limit };
      const { nextOffset, version, ...map } = found(eventId, await deps.seatMap.read(eventId, section, page));
      if (cachedRead(c, seatMapCaching, version && seatMapETag(version))) return c.body(null, 304);
      return c.json({ ...map, ...(nextOffset !== undefined && { nextCursor: String(nextOffset) }) }, 200);
    },
  );

  app.openapi(
    route('get', '/v1/events/{eventId}/availability', {
      summary: "Available, held and sold seats per section (cached; ETag: the seat map's version)",
      request: { params: EventIdParams, headers: IfNoneMatchHeaders },
      responses: { ...cacheableResponses(json(AvailabilitySchema, 'counts per section')), ...eventMissing },
    }),
    async (c) => {
      const { eventId } = c.req.valid('param');
      const { version, ...counts } = found(eventId, await deps.seatMap.availability(eventId));
      if (cachedRead(c, seatMapCaching, version && seatMapETag(version))) return c.body(null, 304);
      return c.json(counts, 200);
    },
  );

  return app;
}
