// Owns support's refund endpoints: refund (part of) an order through its refund workflow, and read a
// refund back. Thin: validate, authorize, call api/workflows/refunds.ts, map the outcome to HTTP.
import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import { DomainError } from '../../src/errors';
import { requireRole } from '../auth';
import type { AppEnv, RouteDeps } from '../env';
import { problemResponse } from '../schemas/problem';
import { RefundCreateSchema, RefundHeaders, RefundParams, RefundSchema } from '../schemas/refunds';
import { OrderParams } from '../schemas/reservations';

const refundJson = (description: string) => ({
  description,
  content: { 'application/json': { schema: RefundSchema } },
});

export function refundRoutes(deps: Pick<RouteDeps, 'config' | 'refunds'>) {
  const app = new OpenAPIHono<AppEnv>();
  const support = requireRole(deps.config.auth.jwtSecret, 'support');

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/orders/{id}/refunds',
      tags: ['support'],
      summary: 'Refund an order, in full or in part (support)',
      description:
        'Starts a refund workflow: a Stripe refund with an idempotency key per refund, audited in `refunds`; ' +
        'the order becomes REFUNDED or PARTIALLY_REFUNDED, and a full refund voids the tickets and returns ' +
        'the seats to sale when the event says so. The same Idempotency-Key returns the same refund.',
      security: [{ bearer: [] }],
      middleware: [support] as const,
      request: {
        params: OrderParams,
        headers: RefundHeaders,
        body: { required: true, content: { 'application/json': { schema: RefundCreateSchema } } },
      },
      responses: {
        200: refundJson('refunded within the wait budget'),
        202: refundJson('accepted; still running after the wait budget: poll the Location'),
        ...problemResponse(404, 'ORDER_NOT_FOUND'),
        ...problemResponse(409, 'ALREADY_REFUNDED'),
        ...problemResponse(422, 'VALIDATION_FAILED, REFUND_EXCEEDS_PAYMENT, IDEMPOTENCY_KEY_REUSED'),
        ...problemResponse(502, 'REFUND_FAILED: the gateway refused the refund'),
      },
    }),
    async (c) => {
      const { id: orderId } = c.req.valid('param');
      const idempotencyKey = c.req.valid('header')['idempotency-key'];
      const { amount, reason } = c.req.valid('json');
      const outcome = await deps.refunds.refund({
        orderId,
        idempotencyKey,
        amount,
        reason,
        operator: c.get('principal').userId,
      });
      c.header('Location', `/v1/orders/${orderId}/refunds/${outcome.refundId}`);
      if (!outcome.settled) return c.json(outcome.pending, 202);
      return c.json(outcome.value, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/orders/{id}/refunds/{refundId}',
      tags: ['support'],
      summary: 'Read a refund (support)',
      security: [{ bearer: [] }],
      middleware: [support] as const,
      request: { params: RefundParams },
      responses: {
        200: refundJson('the refund, wherever it stands (FAILED ones carry `error`)'),
        ...problemResponse(404, 'NOT_FOUND'),
      },
    }),
    async (c) => {
      const { id: orderId, refundId } = c.req.valid('param');
      const refund = await deps.refunds.read(refundId);
      if (refund.orderId !== orderId) throw new DomainError('NOT_FOUND', `refund ${refundId} does not exist`);
      return c.json(refund, 200);
    },
  );

  return app;
}
