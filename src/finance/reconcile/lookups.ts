// Owns the indexes the checks, the ledger and the totals look rows up in, built once from the sources.
import type Stripe from 'stripe';
import type { OrderRow, PaymentRow, RefundRow, ReservationRow, SeatRow, Sources, TicketRow } from './sources';

/** Currencies compare and print as the gateway's codes, upper case ("usd " and "USD" are one currency). */
export const cur = (currency: string) => currency.trim().toUpperCase();

/** Whether a refund has moved money back, as far as the gateway says (a pending refund was accepted). */
export const refundMovesMoney = (status: string | null | undefined) =>
  status === 'succeeded' || status === 'pending';

/** What the gateway has given back of a PaymentIntent. */
export const refundedAtGateway = (refunds: Stripe.Refund[]) =>
  refunds.filter((refund) => refundMovesMoney(refund.status)).reduce((sum, refund) => sum + refund.amount, 0);

export function groupBy<T>(items: T[], key: (item: T) => string | null | undefined): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    if (k === null || k === undefined) continue;
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

export interface Lookups {
  reservationsById: Map<string, ReservationRow>;
  ordersById: Map<string, OrderRow>;
  ordersByIntent: Map<string, OrderRow>;
  ordersByReservation: Map<string, OrderRow>;
  ticketsByOrder: Map<string, TicketRow[]>;
  soldSeatsByOrder: Map<string, SeatRow[]>;
  paymentsByIntent: Map<string, PaymentRow[]>;
  /** Refunds audit rows by the gateway's refund id (rows the gateway never answered have none). */
  refundRowsByStripeId: Map<string, RefundRow>;
  /** Every refund id the gateway knows. */
  stripeRefundIds: Set<string>;
  validTickets(orderId: string): TicketRow[];
  /** The reservation's event as Postgres records it, else the fallback. */
  eventOf(reservationId?: string, fallback?: string): string | undefined;
}

export function lookUp({ pg, intents }: Sources): Lookups {
  const reservationsById = new Map(pg.reservations.map((row) => [row.id, row]));
  const ticketsByOrder = groupBy(pg.tickets, (ticket) => ticket.order_id);
  return {
    reservationsById,
    ordersById: new Map(pg.orders.map((order) => [order.id, order])),
    ordersByIntent: new Map(pg.orders.map((order) => [order.payment_intent_id, order])),
    ordersByReservation: new Map(pg.orders.map((order) => [order.reservation_id, order])),
    ticketsByOrder,
    soldSeatsByOrder: groupBy(
      pg.seats.filter((seat) => seat.status === 'sold'),
      (seat) => seat.order_id,
    ),
    paymentsByIntent: groupBy(pg.payments, (payment) => payment.payment_intent_id),
    refundRowsByStripeId: new Map(
      pg.refunds.flatMap((row) => (row.stripe_refund_id ? [[row.stripe_refund_id, row] as const] : [])),
    ),
    stripeRefundIds: new Set([...intents.values()].flatMap(({ refunds }) => refunds.map((r) => r.id))),
    validTickets: (orderId) =>
      (ticketsByOrder.get(orderId) ?? []).filter((ticket) => ticket.status === 'VALID'),
    eventOf: (reservationId, fallback) =>
      (reservationId && reservationsById.get(reservationId)?.event_id) || fallback,
  };
}
