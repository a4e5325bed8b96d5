// Owns the request and response schemas of refunds: they validate requests and document the OpenAPI
// contract from one source.
import { z } from '@hono/zod-openapi';
import { idempotencyKeyHeaders } from './http';
import { orderId, refundId, text } from './ids';

/** Larger than any order we sell; keeps amounts well inside a JS integer and Postgres bigint. */
const maxRefundAmount = 1_000_000_000_000;

export const RefundCreateSchema = z
  .object({
    amount: z
      .number()
      .int()
      .min(1)
      .max(maxRefundAmount)
      .optional()
      .openapi({ description: 'Minor units; absent = everything still refundable', example: 2500 }),
    reason: text(500, { trim: true }).openapi({ example: 'event postponed; buyer cannot attend' }),
  })
  .strict()
  .openapi('RefundCreate');

export const RefundSchema = z
  .object({
    id: z.string(),
    orderId: z.string(),
    status: z.enum(['PENDING', 'REFUNDING', 'SUCCEEDED', 'FAILED']),
    amount: z.number().int().nullable(),
    currency: z.string().nullable(),
    reason: z.string(),
    operator: z.string(),
    stripeRefundId: z.string().optional(),
    order: z
      .object({
        status: z.enum(['PAID', 'REFUNDED', 'PARTIALLY_REFUNDED']),
        refundedAmount: z.number().int(),
      })
      .optional(),
    releasedSeatIds: z.array(z.string()),
    error: z.object({ code: z.string(), message: z.string() }).optional(),
  })
  .openapi('Refund');

/** The refund request's key: the same key returns the same refund. */
export const RefundHeaders = idempotencyKeyHeaders('ticket-4711-refund');

export const RefundParams = z.object({ id: orderId, refundId });
