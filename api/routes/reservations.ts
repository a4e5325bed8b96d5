// Owns the buyer's checkout endpoints: hold seats (start the reservation workflow), read, confirm with a
// payment method, cancel. Thin: validate, authorize, call the workflow, map the outcome to HTTP.
import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import { DomainError } from '../../src/errors';
import type { ReservationView, SeatRequest } from '../../workflows/reservation/contract';
import type { Principal } from '../auth';
import { requireRole } from '../auth';
import type { AppEnv, RouteDeps } from '../env';
import { problemResponse } from '../schemas/problem';
import {
  ConfirmSchema,
  EventParams,
  IdempotencyHeaders,
  ReservationCreateSchema,
  ReservationInProgressSchema,
  ReservationParams,
  ReservationSchema,
} from '../schemas/reservations';

const json = (schema: typeof ReservationSchema, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});

const accepted = (description: string) => ({
  description,
  content: { 'application/json': { schema: ReservationInProgressSchema } },
});

/**
 * The answer when the wait budget ran out: no query of the busy workflow, just where it stands and
 * where to look. The workflow carries on; the reservation's URL shows the outcome.
 */
function inProgress(id: string, status: 'PENDING' | 'PAYING') {
  return {
    id,
    status,
    detail: `still ${status === 'PENDING' ? 'holding' : 'paying'}; GET /v1/reservations/${id}`,
  };
}

/** What a principal may see of a reservation: buyers never see support's notes. */
function visibleTo(principal: Principal, view: ReservationView): ReservationView {
  const { requestFingerprint: _internal, ...shown } = view;
  if (principal.role === 'support') return shown;
  const { supportActions: _support, rejection: _rejection, ...buyerView } = shown;
  return buyerView;
}

export function reservationRoutes(
  deps: Pick<RouteDeps, 'config' | 'checkout' | 'fastRejection' | 'rateLimit' | 'eventExists'>,
) {
  const app = new OpenAPIHono<AppEnv>();
  const buyer = requireRole(deps.config.auth.jwtSecret, 'buyer');
  const ownerOrSupport = requireRole(deps.config.auth.jwtSecret, 'buyer', 'support');

  /** Buyers only reach their own reservations; anyone else's is "not found", not "forbidden". */
  async function authorize(principal: Principal, reservationId: string): Promise<void> {
    if (principal.role === 'support') return;
    const owner = await deps.checkout.ownerOf(reservationId);
    if (owner !== principal.userId) {
      throw new DomainError('RESERVATION_NOT_FOUND', `reservation ${reservationId} does not exist`);
    }
  }

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/events/{eventId}/reservations',
      tags: ['reservations'],
      summary: 'Hold seats: explicit seat ids or best available in a section',
      security: [{ bearer: [] }],
      middleware: [buyer] as const,
      request: {
        params: EventParams,
        headers: IdempotencyHeaders,
        body: { required: true, content: { 'application/json': { schema: ReservationCreateSchema } } },
      },
      responses: {
        201: json(ReservationSchema, 'seats held'),
        202: accepted('still holding after the wait budget; retry with the same key or poll the Location'),
        ...problemResponse(404, 'EVENT_NOT_FOUND'),
        ...problemResponse(
          409,
          'SEATS_UNAVAILABLE (with unavailableSeatIds), BUYER_LIMIT_EXCEEDED, SALES_NOT_OPEN',
        ),
        ...problemResponse(422, 'VALIDATION_FAILED, UNKNOWN_SEATS, IDEMPOTENCY_KEY_REUSED'),
        ...problemResponse(429, 'RATE_LIMITED'),
      },
    }),
    async (c) => {
      const principal = c.get('principal');
      const { eventId } = c.req.valid('param');
      const idempotencyKey = c.req.valid('header')['idempotency-key'];
      const body = c.req.valid('json');
      const request: SeatRequest = body.seatIds
        ? { seatIds: body.seatIds }
        : {
            section: body.section as string,
            quantity: body.quantity as number,
            adjacent: body.adjacent ?? false,
          };

      await deps.rateLimit.check(principal.userId);
      // A flash sale's losing requests are answered from the seat map without costing a workflow.
      await deps.fastRejection.check({ eventId, buyerId: principal.userId, idempotencyKey, request });
      if (!(await deps.eventExists(eventId)))
        throw new DomainError('EVENT_NOT_FOUND', `event ${eventId} does not exist`);

      const seatsText =
        'seatIds' in request ? request.seatIds.join(', ') : `${request.quantity} in ${request.section}`;
      const outcome = await deps.checkout.hold({
        eventId,
        buyerId: principal.userId,
        idempotencyKey,
        request,
        summary: `${principal.userId} · ${eventId} · ${seatsText}`,
      });
      c.header('Location', `/v1/reservations/${outcome.reservationId}`);
      if (!outcome.settled) return c.json(inProgress(outcome.reservationId, 'PENDING'), 202);
      return c.json(visibleTo(principal, outcome.value), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/reservations/{id}',
      tags: ['reservations'],
      summary: 'Read a reservation (owner or support)',
      security: [{ bearer: [] }],
      middleware: [ownerOrSupport] as const,
      request: { params: ReservationParams },
      responses: {
        200: json(ReservationSchema, 'the reservation'),
        ...problemResponse(404, 'RESERVATION_NOT_FOUND'),
      },
    }),
    async (c) => {
      const principal = c.get('principal');
      const { id } = c.req.valid('param');
      await authorize(principal, id);
      return c.json(visibleTo(principal, await deps.checkout.read(id)), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/reservations/{id}/confirm',
      tags: ['reservations'],
      summary: 'Pay for the held seats',
      security: [{ bearer: [] }],
      middleware: [buyer] as const,
      request: {
        params: ReservationParams,
        headers: IdempotencyHeaders,
        body: { required: true, content: { 'application/json': { schema: ConfirmSchema } } },
      },
      responses: {
        200: json(ReservationSchema, 'CONFIRMED, with orderId'),
        202: accepted('PAYING: still in progress after the wait budget; poll the reservation'),
        ...problemResponse(402, 'PAYMENT_DECLINED or PAYMENT_FAILED; the reservation stays HELD'),
        ...problemResponse(404, 'RESERVATION_NOT_FOUND'),
        ...problemResponse(409, 'RESERVATION_EXPIRED, RESERVATION_NOT_ACTIVE, RESERVATION_CONFIRMED'),
      },
    }),
    async (c) => {
      const principal = c.get('principal');
      const { id } = c.req.valid('param');
      const idempotencyKey = c.req.valid('header')['idempotency-key'];
      const { paymentMethodId } = c.req.valid('json');
      await authorize(principal, id);
      const outcome = await deps.checkout.confirm(id, idempotencyKey, paymentMethodId);
      if (!outcome.settled) return c.json(inProgress(id, 'PAYING'), 202);
      return c.json(visibleTo(principal, outcome.value), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/v1/reservations/{id}',
      tags: ['reservations'],
      summary: 'Cancel a reservation and release its seats (again: 204)',
      security: [{ bearer: [] }],
      middleware: [buyer] as const,
      request: { params: ReservationParams },
      responses: {
        204: { description: 'cancelled (or already ended without a sale)' },
        202: accepted('a payment is in flight; the cancel applies if it does not succeed'),
        ...problemResponse(404, 'RESERVATION_NOT_FOUND'),
        ...problemResponse(409, 'RESERVATION_CONFIRMED'),
      },
    }),
    async (c) => {
      const principal = c.get('principal');
      const { id } = c.req.valid('param');
      await authorize(principal, id);
      const outcome = await deps.checkout.cancel(id);
      if (!outcome.settled) return c.json(inProgress(id, 'PAYING'), 202);
      return c.body(null, 204);
    },
  );

  return app;
}
