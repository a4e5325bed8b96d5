// Owns the request and response schemas of reservations and orders: they validate requests and
// document the OpenAPI contract from one source.
import { z } from '@hono/zod-openapi';
import { seatRequestLimits } from '../../src/inventory/seats';
import { reservationStatuses } from '../../workflows/reservation/contract';
import { idempotencyKeyHeaders } from './http';

// The seat store's bounds, not a copy of them; the event's maxSeatsPerBuyer is usually lower than maxSeats.
const { maxSeats, maxSeatIdLength } = seatRequestLimits;

const seatId = z.string().min(1).max(maxSeatIdLength);

export const ReservationCreateSchema = z
  .object({
    seatIds: z.array(seatId).min(1).max(maxSeats).optional(),
    section: z.string().min(1).max(100).optional(),
    quantity: z.number().int().min(1).max(maxSeats).optional(),
    adjacent: z.boolean().optional(),
  })
  .strict()
  .superRefine((body, ctx) => {
    const explicit = body.seatIds !== undefined;
    const bestAvailable =
      body.section !== undefined || body.quantity !== undefined || body.adjacent !== undefined;
    if (explicit === bestAvailable) {
      ctx.addIssue({
        code: 'custom',
        message: 'give either seatIds, or section and quantity (best available)',
      });
      return;
    }
    if (explicit && new Set(body.seatIds).size !== body.seatIds?.length) {
      ctx.addIssue({ code: 'custom', path: ['seatIds'], message: 'must not repeat a seat id' });
    }
    if (bestAvailable && (body.section === undefined || body.quantity === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'best available needs both section and quantity' });
    }
  })
  .openapi('ReservationCreate', {
    example: { seatIds: ['A-1-1', 'A-1-2'] },
  });

/** The hold's and the confirm's key: a retry with the same key joins the first request. */
export const IdempotencyHeaders = idempotencyKeyHeaders('checkout-7f3a');

export const ReservationSchema = z
  .object({
    id: z.string(),
    eventId: z.string(),
    buyerId: z.string(),
    status: z.enum(reservationStatuses),
    seats: z.array(z.object({ id: z.string(), price: z.number().int() })),
    amount: z.number().int(),
    currency: z.string(),
    expiresAt: z.string().nullable(),
    orderId: z.string().optional(),
    payment: z
      .object({
        attempts: z.number().int(),
        lastError: z.string().optional(),
        paymentIntentId: z.string().optional(),
      })
      .optional(),
    reason: z.string().optional(),
    supportActions: z
      .array(
        z.object({
          action: z.string(),
          operator: z.string(),
          reason: z.string(),
          at: z.string(),
          outcome: z.string(),
        }),
      )
      .optional()
      .openapi({ description: 'Support actions on this reservation (support role only).' }),
  })
  .openapi('Reservation');

export const ReservationInProgressSchema = z
  .object({ id: z.string(), status: z.enum(['PENDING', 'PAYING']), detail: z.string() })
  .openapi('ReservationInProgress');

export const ConfirmSchema = z
  .object({ paymentMethodId: z.string().min(1).max(255).openapi({ example: 'pm_card_visa' }) })
  .strict()
  .openapi('Confirm');

export const ReservationParams = z.object({
  id: z
    .string()
    .regex(/^rsv_[\w-]{1,64}$/, 'must be a reservation id (rsv_...)')
    .openapi({ param: { name: 'id', in: 'path' }, example: 'rsv_1Xc0' }),
});

export const EventParams = z.object({
  eventId: z
    .string()
    .min(1)
    .max(100)
    .openapi({ param: { name: 'eventId', in: 'path' } }),
});

export const OrderSchema = z
  .object({
    id: z.string(),
    reservationId: z.string(),
    eventId: z.string(),
    buyerId: z.string(),
    seats: z.array(z.object({ id: z.string(), price: z.number().int() })),
    amount: z.number().int(),
    refundedAmount: z.number().int(),
    currency: z.string(),
    paymentIntentId: z.string(),
    status: z.enum(['PAID', 'REFUNDED', 'PARTIALLY_REFUNDED']),
    createdAt: z.string(),
    tickets: z.array(z.object({ seatId: z.string(), code: z.string(), status: z.enum(['VALID', 'VOID']) })),
  })
  .openapi('Order');

export const OrderParams = z.object({
  id: z
    .string()
    .regex(/^ord_[\w-]{1,64}$/, 'must be an order id (ord_...)')
    .openapi({ param: { name: 'id', in: 'path' } }),
});
