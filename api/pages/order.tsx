// Owns the order page's markup (`/orders/{orderId}`): a frame that web/order.ts fills with the buyer's
// order, read with their token, and each ticket's code as a QR code.
import type { Context } from 'hono';
import { renderPage } from './layout';

export function orderPage(c: Context, orderId: string) {
  return renderPage(c, {
    title: 'Your order',
    entry: 'order',
    data: { orderId },
    children: (
      <>
        <h1 id="order-heading" tabindex={-1}>
          Your order
        </h1>
        <div id="order" aria-busy="true">
          <p id="order-status" role="status">
            Loading the order…
          </p>
        </div>
      </>
    ),
  });
}
