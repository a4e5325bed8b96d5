// Owns reading orders: a buyer reads their own orders, support reads any and searches them.
import { OpenAPIHono, z } from '@hono/zod-openapi';
import { findOrder, searchOrders } from '../../src/checkout/orders';
import { DomainError } from '../../src/errors';
import { secured } from '../auth';
import type { AppEnv, RouteDeps } from '../env';
import { json } from '../schemas/http';
import { eventId, paymentIntentId, seatId, userId } from '../schemas/ids';
import { problems } from '../schemas/problem';
import { OrderParams, OrderSchema } from '../schemas/reservations';
import { routesOf } from './route';

const ordersRoute = routesOf('orders');
const supportRoute = routesOf('support');

const OrderSearchQuery = z
  .object({
    buyerId: userId.optional(),
    seatId: seatId.optional(),
    paymentIntentId: paymentIntentId.optional(),
    eventId: eventId.optional(),
  })
  .strict()
  .refine((query) => Object.values(query).some((value) => value !== undefined), {
    message: 'give at least one of buyerId, seatId, paymentIntentId, eventId',
  });

export function orderRoutes(deps: Pick<RouteDeps, 'config' | 'pool'>) {
  const app = new OpenAPIHono<AppEnv>();
  const ownerOrSupport = secured(deps.config.auth, 'buyer', 'support');
  const support = secured(deps.config.auth, 'support');

  app.openapi(
    ordersRoute('get', '/v1/orders/{id}', {
      summary: 'Read an order with its tickets (owner or support)',
      ...ownerOrSupport,
      request: { params: OrderParams },
      responses: { 200: json(OrderSchema, 'the order'), ...problems({ 404: 'ORDER_NOT_FOUND' }) },
    }),
    async (c) => {
      const principal = c.get('principal');
      const { id } = c.req.valid('param');
      const order = await findOrder(deps.pool, id);
      if (!order || (principal.role === 'buyer' && order.buyerId !== principal.userId)) {
        throw new DomainError('ORDER_NOT_FOUND', `order ${id} does not exist`);
      }
      return c.json(order, 200);
    },
  );

  app.openapi(
    supportRoute('get', '/v1/admin/orders', {
      summary: 'Find orders by buyer, seat, PaymentIntent or event (support)',
      ...support,
      request: { query: OrderSearchQuery },
      responses: {
        200: json(z.object({ items: z.array(OrderSchema) }), 'matching orders, newest first'),
        ...problems({ 422: 'VALIDATION_FAILED' }),
      },
    }),
    async (c) => c.json({ items: await searchOrders(deps.pool, c.req.valid('query')) }, 200),
  );

  return app;
}
