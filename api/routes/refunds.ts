// Owns support's refund endpoints: refund (part of) an order through its refund workflow, and read a
// refund back. Thin: validate, authorize, call api/workflows/refunds.ts, map the outcome to HTTP.
import { OpenAPIHono } from '@hono/zod-openapi';
import { DomainError } from '../../src/errors';
import { secured } from '../auth';
import type { AppEnv, RouteDeps } from '../env';
import { json, jsonBody } from '../schemas/http';
import { problems } from '../schemas/problem';
import { RefundCreateSchema, RefundHeaders, RefundParams, RefundSchema } from '../schemas/refunds';
import { OrderParams } from '../schemas/reservations';
import { routesOf } from './route';

const route = routesOf('support');

const refund = (description: string) => json(RefundSchema, description);

export function refundRoutes(deps: Pick<RouteDeps, 'config' | 'refunds'>) {
  const app = new OpenAPIHono<AppEnv>();
  const support = secured(deps.config.auth, 'support');

  app.openapi(
    route('post', '/v1/orders/{id}/refunds', {
      summary: 'Refund an order, in full or in part (support)',
      description:
        'Starts a refund workflow: a Stripe refund with an idempotency key per refund, audited in `refunds`; ' +
        'the order becomes REFUNDED or PARTIALLY_REFUNDED, and a full refund voids the tickets and returns ' +
        'the seats to sale when the event says so. The same Idempotency-Key returns the same refund.',
      ...support,
      request: { params: OrderParams, headers: RefundHeaders, body: jsonBody(RefundCreateSchema) },
      responses: {
        200: refund('refunded within the wait budget'),
        202: refund('accepted; still running after the wait budget: poll the Location'),
        ...problems({
          404: 'ORDER_NOT_FOUND',
          409: 'ALREADY_REFUNDED',
          422: 'VALIDATION_FAILED, REFUND_EXCEEDS_PAYMENT, IDEMPOTENCY_KEY_REUSED',
          502: 'REFUND_FAILED: the gateway refused the refund',
        }),
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
    route('get', '/v1/orders/{id}/refunds/{refundId}', {
      summary: 'Read a refund (support)',
      ...support,
      request: { params: RefundParams },
      responses: {
        200: refund('the refund, wherever it stands (FAILED ones carry `error`)'),
        ...problems({ 404: 'NOT_FOUND' }),
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
