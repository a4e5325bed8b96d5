// Owns the buyer's checkout endpoints: hold seats (start the reservation workflow), read, confirm with a
// payment method, cancel. Thin: validate, authorize, call the workflow, map the outcome to HTTP.
import { OpenAPIHono } from '@hono/zod-openapi';
import { DomainError } from '../../src/errors';
import type { SeatRequest } from '../../workflows/reservation/contract';
import { type Principal, secured } from '../auth';
import type { AppEnv, RouteDeps } from '../env';
import { reservationViewFor } from '../reservation-views';
import { EventIdParams } from '../schemas/events';
import { json, jsonBody } from '../schemas/http';
import { problems } from '../schemas/problem';
import { AdmissionTokenHeaders } from '../schemas/queue';
import {
  ConfirmAcceptedSchema,
  ConfirmSchema,
  IdempotencyHeaders,
  ReservationCreateSchema,
  ReservationInProgressSchema,
  ReservationParams,
  ReservationSchema,
} from '../schemas/reservations';
import { routesOf } from './route';

const route = routesOf('reservations');

const reservation = (description: string) => json(ReservationSchema, description);
const inProgressResponse = (description: string) => json(ReservationInProgressSchema, description);

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

export function reservationRoutes(
  deps: Pick<RouteDeps, 'config' | 'checkout' | 'fastRejection' | 'events' | 'waitingRoom'>,
) {
  const app = new OpenAPIHono<AppEnv>();
  const buyer = secured(deps.config.auth, 'buyer');
  const ownerOrSupport = secured(deps.config.auth, 'buyer', 'support');

  /** The principal, once it may reach the reservation: anyone else's is "not found", not "forbidden". */
  async function authorized(principal: Principal, reservationId: string): Promise<Principal> {
    if (principal.role === 'support') return principal;
    const owner = await deps.checkout.ownerOf(reservationId);
    if (owner !== principal.userId) {
      throw new DomainError('RESERVATION_NOT_FOUND', `reservation ${reservationId} does not exist`);
    }
    return principal;
  }

  app.openapi(
    route('post', '/v1/events/{eventId}/reservations', {
      summary: 'Hold seats: explicit seat ids or best available in a section',
      ...buyer,
      request: {
        params: EventIdParams,
        headers: IdempotencyHeaders.extend(AdmissionTokenHeaders.shape),
        body: jsonBody(ReservationCreateSchema),
      },
      responses: {
        201: reservation('seats held'),
        202: inProgressResponse(
          'still holding after the wait budget; retry with the same key or poll the Location',
        ),
        ...problems({
          403: 'ADMISSION_REQUIRED: the event sells through its waiting room; send its Admission-Token',
          404: 'EVENT_NOT_FOUND',
          409: 'SEATS_UNAVAILABLE (with unavailableSeatIds), BUYER_LIMIT_EXCEEDED, SALES_NOT_OPEN',
          422: 'VALIDATION_FAILED, UNKNOWN_SEATS, IDEMPOTENCY_KEY_REUSED',
        }),
      },
    }),
    async (c) => {
      const principal = c.get('principal');
      const { eventId } = c.req.valid('param');
      const headers = c.req.valid('header');
      const idempotencyKey = headers['idempotency-key'];
      const body = c.req.valid('json');
      const request: SeatRequest = body.seatIds
        ? { seatIds: body.seatIds }
        : {
            section: body.section as string,
            quantity: body.quantity as number,
            adjacent: body.adjacent ?? false,
          };

      const event = await deps.events.get(eventId);
      if (!event) throw new DomainError('EVENT_NOT_FOUND', `event ${eventId} does not exist`);
      // While the event's waiting room is enabled, only an admitted buyer's session may hold.
      const admission = await deps.waitingRoom.admitHold(
        event,
        deps.waitingRoom.buyerOf(c),
        headers['admission-token'],
      );
      // A flash sale's losing requests are answered from the seat map without costing a workflow.
      await deps.fastRejection.check({ eventId, buyerId: principal.userId, idempotencyKey, request });

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
      await admission?.held(outcome.reservationId);
      if (!outcome.settled) return c.json(inProgress(outcome.reservationId, 'PENDING'), 202);
      return c.json(reservationViewFor(principal, outcome.value), 201);
    },
  );

  app.openapi(
    route('get', '/v1/reservations/{id}', {
      summary: 'Read a reservation (owner or support)',
      ...ownerOrSupport,
      request: { params: ReservationParams },
      responses: { 200: reservation('the reservation'), ...problems({ 404: 'RESERVATION_NOT_FOUND' }) },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const principal = await authorized(c.get('principal'), id);
      return c.json(reservationViewFor(principal, await deps.checkout.read(id)), 200);
    },
  );

  app.openapi(
    route('post', '/v1/reservations/{id}/confirm', {
      summary: 'Pay for the held seats',
      ...buyer,
      request: { params: ReservationParams, headers: IdempotencyHeaders, body: jsonBody(ConfirmSchema) },
      responses: {
        200: reservation('CONFIRMED, with orderId'),
        202: json(
          ConfirmAcceptedSchema,
          'PAYING: the card asks for authentication (the reservation, with payment.nextAction for the ' +
            "buyer's client to finish with Stripe; the outcome arrives by webhook), or still in progress " +
            'after the wait budget; poll the reservation',
        ),
        ...problems({
          402: 'PAYMENT_DECLINED or PAYMENT_FAILED; the reservation stays HELD',
          404: 'RESERVATION_NOT_FOUND',
          409: 'RESERVATION_EXPIRED, RESERVATION_NOT_ACTIVE, RESERVATION_CONFIRMED',
          503: 'SERVICE_UNAVAILABLE: payments are at their limit; retry after Retry-After seconds (not charged)',
        }),
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const principal = await authorized(c.get('principal'), id);
      const idempotencyKey = c.req.valid('header')['idempotency-key'];
      const { paymentMethodId } = c.req.valid('json');
      const outcome = await deps.checkout.confirm(id, idempotencyKey, paymentMethodId);
      if (!outcome.settled) return c.json(inProgress(id, 'PAYING'), 202);
      if (outcome.value.status === 'PAYING') return c.json(reservationViewFor(principal, outcome.value), 202);
      return c.json(reservationViewFor(principal, outcome.value), 200);
    },
  );

  app.openapi(
    route('delete', '/v1/reservations/{id}', {
      summary: 'Cancel a reservation and release its seats (again: 204)',
      ...buyer,
      request: { params: ReservationParams },
      responses: {
        204: { description: 'cancelled (or already ended without a sale)' },
        202: inProgressResponse('a payment is in flight; the cancel applies if it does not succeed'),
        ...problems({ 404: 'RESERVATION_NOT_FOUND', 409: 'RESERVATION_CONFIRMED' }),
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      await authorized(c.get('principal'), id);
      const outcome = await deps.checkout.cancel(id);
      if (!outcome.settled) return c.json(inProgress(id, 'PAYING'), 202);
      return c.body(null, 204);
    },
  );

  return app;
}
