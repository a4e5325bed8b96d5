// Owns the request and response schemas of reservations and orders: they validate requests and
// document the OpenAPI contract from one source.
import { z } from '@hono/zod-openapi';
import { seatRequestLimits } from '../../src/inventory/seat-request';
import { reservationStatuses } from '../../workflows/reservation/contract';
import { idempotencyKeyHeaders } from './http';
import { layoutId, orderId, paymentMethodId, reservationId, seatId } from './ids';

// The seat store's bound, not a copy of it; the event's maxSeatsPerBuyer is usually lower than maxSeats.
const { maxSeats } = seatRequestLimits;

export const ReservationCreateSchema = z
  .object({
    seatIds: z.array(seatId).min(1).max(maxSeats).optional(),
    section: layoutId.optional(),
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
        nextAction: z
          .object({ type: z.string(), clientSecret: z.string(), redirectUrl: z.string().optional() })
          .optional()
          .openapi({
            description:
              "While PAYING: the card asks for authentication (3-D Secure). The buyer's client finishes it " +
              'with Stripe.js (handleNextAction with clientSecret) or at redirectUrl; the outcome arrives by ' +
              "webhook. Shown to the reservation's owner only.",
          }),
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

/** A confirm not finished yet: PAYING with the buyer's next action (3-D Secure), or past the wait budget. */
export const ConfirmAcceptedSchema = z
  .union([ReservationSchema, ReservationInProgressSchema])
  .openapi('ConfirmAccepted');

export const ConfirmSchema = z.object({ paymentMethodId }).strict().openapi('Confirm');

export const ReservationParams = z.object({ id: reservationId });

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

export const OrderParams = z.object({ id: orderId });
