// Owns the event endpoints: organizers create events; anyone lists them, reads one, its cached seat map
// and its per-section availability.
import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import { DomainError } from '../../src/errors';
import { createEvent, getEvent, listEvents } from '../../src/inventory/events';
import { requireRole } from '../auth';
import type { AppEnv, RouteDeps } from '../env';
import {
  AvailabilitySchema,
  EventCreateSchema,
  EventIdParams,
  EventListQuery,
  EventListSchema,
  EventSchema,
  SeatMapQuery,
  SeatMapSchema,
} from '../schemas/events';
import { problemResponse } from '../schemas/problem';

const notFound = (eventId: string) =>
  new DomainError('EVENT_NOT_FOUND', `event ${eventId} does not exist`, { eventId });

export function eventRoutes(deps: Pick<RouteDeps, 'config' | 'pool' | 'seatMap'>) {
  const app = new OpenAPIHono<AppEnv>();
  const organizer = requireRole(deps.config.auth.jwtSecret, 'organizer');

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/events',
      tags: ['events'],
      summary: 'Create an event with its seat map (organizer)',
      security: [{ bearer: [] }],
      middleware: [organizer] as const,
      request: {
        body: { required: true, content: { 'application/json': { schema: EventCreateSchema } } },
      },
      responses: {
        201: {
          description: 'created; Location names the event',
          content: { 'application/json': { schema: EventSchema } },
        },
        ...problemResponse(401, 'missing or invalid bearer token'),
        ...problemResponse(403, 'not an organizer'),
        ...problemResponse(413, 'body larger than 256 KiB'),
        ...problemResponse(422, 'VALIDATION_FAILED: the body names what is wrong'),
      },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const event = await createEvent(deps.pool, { ...body, createdBy: c.get('principal').userId });
      // Browsing starts from a warm map; without Redis the map fills on its first read instead.
      await deps.seatMap.fill(event.id);
      c.header('Location', `/v1/events/${event.id}`);
      return c.json(event, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/events',
      tags: ['events'],
      summary: 'List events, newest first',
      request: { query: EventListQuery },
      responses: {
        200: {
          description: 'a page of events',
          content: { 'application/json': { schema: EventListSchema } },
        },
        ...problemResponse(422, 'VALIDATION_FAILED'),
      },
    }),
    async (c) => {
      const { limit, cursor } = c.req.valid('query');
      return c.json(await listEvents(deps.pool, { limit, after: cursor }), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/events/{eventId}',
      tags: ['events'],
      summary: 'An event with its sections',
      request: { params: EventIdParams },
      responses: {
        200: { description: 'the event', content: { 'application/json': { schema: EventSchema } } },
        ...problemResponse(404, 'EVENT_NOT_FOUND'),
      },
    }),
    async (c) => {
      const { eventId } = c.req.valid('param');
      const event = await getEvent(deps.pool, eventId);
      if (!event) throw notFound(eventId);
      return c.json(event, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/events/{eventId}/seats',
      tags: ['events'],
      summary: 'The seat map, optionally of one section (cached, eventually consistent)',
      request: { params: EventIdParams, query: SeatMapQuery },
      responses: {
        200: { description: 'the seat map', content: { 'application/json': { schema: SeatMapSchema } } },
        ...problemResponse(404, 'EVENT_NOT_FOUND'),
        ...problemResponse(422, 'VALIDATION_FAILED'),
      },
    }),
    async (c) => {
      const { eventId } = c.req.valid('param');
      const { section } = c.req.valid('query');
      const map = await deps.seatMap.read(eventId, section);
      if (!map) throw notFound(eventId);
      return c.json(map, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/events/{eventId}/availability',
      tags: ['events'],
      summary: 'Available, held and sold seats per section (cached)',
      request: { params: EventIdParams },
      responses: {
        200: {
          description: 'counts per section',
          content: { 'application/json': { schema: AvailabilitySchema } },
        },
        ...problemResponse(404, 'EVENT_NOT_FOUND'),
      },
    }),
    async (c) => {
      const { eventId } = c.req.valid('param');
      const availability = await deps.seatMap.availability(eventId);
      if (!availability) throw notFound(eventId);
      return c.json(availability, 200);
    },
  );

  return app;
}
