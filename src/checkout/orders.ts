// Owns the orders, tickets and reservations tables: recording reservations, creating an order with its
// tickets inside the sale's transaction, and reading orders back for buyers and support.
import type { ReservationView } from '../../workflows/reservation/contract';
import type { PoolClient, Queryable } from '../platform/db';

export interface OrderRow {
  id: string;
  reservationId: string;
  eventId: string;
  buyerId: string;
  amount: number;
  refundedAmount: number;
  currency: string;
  paymentIntentId: string;
  status: 'PAID' | 'REFUNDED' | 'PARTIALLY_REFUNDED';
  createdAt: string;
  seats: { id: string; price: number }[];
  tickets: { seatId: string; code: string; status: 'VALID' | 'VOID' }[];
}

/** Upserts the reservation's row; a later status never goes back to an earlier one. */
export async function upsertReservation(db: Queryable, view: ReservationView): Promise<void> {
  await db.query(
    `insert into reservations
       (id, event_id, buyer_id, status, seat_ids, amount, currency, expires_at, order_id, reason, request_fingerprint)
     -- A hold refused for an event that does not exist has nothing to record.
     select $1, $2, $3, $4, $5::text[], $6, $7, $8, $9, $10, $11
      where exists (select 1 from events where id = $2)
     on conflict (id) do update set
       status = excluded.status,
       seat_ids = excluded.seat_ids,
       amount = excluded.amount,
       expires_at = excluded.expires_at,
       order_id = coalesce(excluded.order_id, reservations.order_id),
       reason = coalesce(excluded.reason, reservations.reason),
       request_fingerprint = coalesce(reservations.request_fingerprint, excluded.request_fingerprint),
       updated_at = now()
     where reservations.status <> 'CONFIRMED' or excluded.status = 'CONFIRMED'`,
    [
      view.id,
      view.eventId,
      view.buyerId,
      view.status,
      view.seats.map((seat) => seat.id),
      view.amount,
      view.currency,
      view.expiresAt,
      view.orderId ?? null,
      view.reason ?? null,
      view.requestFingerprint ?? null,
    ],
  );
}

export interface NewOrder {
  orderId: string;
  reservationId: string;
  eventId: string;
  buyerId: string;
  amount: number;
  currency: string;
  paymentIntentId: string;
  tickets: { seatId: string; code: string }[];
}

/** Inserts the order, its tickets and links the payment; a retried sale finds the order already there. */
export async function insertOrderTx(client: PoolClient, order: NewOrder): Promise<void> {
  await client.query(
    `insert into orders (id, reservation_id, event_id, buyer_id, amount, currency, payment_intent_id, status)
     values ($1, $2, $3, $4, $5, $6, $7, 'PAID')
     on conflict (id) do nothing`,
    [
      order.orderId,
      order.reservationId,
      order.eventId,
      order.buyerId,
      order.amount,
      order.currency,
      order.paymentIntentId,
    ],
  );
  await client.query(
    `insert into tickets (order_id, event_id, seat_id, code)
     select $1, $2, seat_id, code from unnest($3::text[], $4::text[]) as t (seat_id, code)
     on conflict (order_id, seat_id) do nothing`,
    [order.orderId, order.eventId, order.tickets.map((t) => t.seatId), order.tickets.map((t) => t.code)],
  );
  await client.query(
    `update payments set order_id = $1, updated_at = now()
     where reservation_id = $2 and payment_intent_id = $3 and order_id is null`,
    [order.orderId, order.reservationId, order.paymentIntentId],
  );
  await client.query(
    `update reservations set status = 'CONFIRMED', order_id = $1, updated_at = now() where id = $2`,
    [order.orderId, order.reservationId],
  );
}

const orderSelect = `
  select o.id, o.reservation_id, o.event_id, o.buyer_id, o.amount, o.refunded_amount, o.currency,
         o.payment_intent_id, o.status, o.created_at,
         coalesce(
           (select json_agg(json_build_object('id', s.seat_id, 'price', s.price) order by s.seat_id)
              from tickets t join seats s on s.event_id = t.event_id and s.seat_id = t.seat_id
             where t.order_id = o.id), '[]') as seats,
         coalesce(
           (select json_agg(json_build_object('seatId', t.seat_id, 'code', t.code, 'status', t.status) order by t.seat_id)
              from tickets t where t.order_id = o.id), '[]') as tickets
    from orders o`;

/** The orders table's columns as Postgres returns them. */
export interface OrderColumns {
  id: string;
  reservation_id: string;
  event_id: string;
  buyer_id: string;
  amount: number;
  refunded_amount: number;
  currency: string;
  payment_intent_id: string;
  status: OrderRow['status'];
}

interface OrderDbRow extends OrderColumns {
  created_at: Date;
  seats: OrderRow['seats'];
  tickets: OrderRow['tickets'];
}

function toOrder(row: OrderDbRow): OrderRow {
  return {
    id: row.id,
    reservationId: row.reservation_id,
    eventId: row.event_id,
    buyerId: row.buyer_id,
    amount: row.amount,
    refundedAmount: row.refunded_amount,
    currency: row.currency,
    paymentIntentId: row.payment_intent_id,
    status: row.status,
    createdAt: row.created_at.toISOString(),
    seats: row.seats,
    tickets: row.tickets,
  };
}

export async function findOrder(db: Queryable, orderId: string): Promise<OrderRow | undefined> {
  const { rows } = await db.query<OrderDbRow>(`${orderSelect} where o.id = $1`, [orderId]);
  return rows[0] && toOrder(rows[0]);
}

export interface OrderSearch {
  buyerId?: string;
  seatId?: string;
  paymentIntentId?: string;
  eventId?: string;
  limit?: number;
}

/** Support's order search: any combination of buyer, seat, PaymentIntent and event. */
export async function searchOrders(db: Queryable, search: OrderSearch): Promise<OrderRow[]> {
  const { rows } = await db.query<OrderDbRow>(
    `${orderSelect}
     where ($1::text is null or o.buyer_id = $1)
       and ($2::text is null or exists (select 1 from tickets t where t.order_id = o.id and t.seat_id = $2))
       and ($3::text is null or o.payment_intent_id = $3)
       and ($4::text is null or o.event_id = $4)
     order by o.created_at desc
     limit $5`,
    [
      search.buyerId ?? null,
      search.seatId ?? null,
      search.paymentIntentId ?? null,
      search.eventId ?? null,
      search.limit ?? 100,
    ],
  );
  return rows.map(toOrder);
}

export interface ReservationRow {
  id: string;
  eventId: string;
  buyerId: string;
  status: string;
  seatIds: string[];
  amount: number;
  currency: string;
  expiresAt: string | null;
  orderId: string | null;
  reason: string | null;
  /** The request it was held for; null when recorded before migration 0008. */
  requestFingerprint: string | null;
}

export async function findReservation(
  db: Queryable,
  reservationId: string,
): Promise<ReservationRow | undefined> {
  const { rows } = await db.query<{
    id: string;
    event_id: string;
    buyer_id: string;
    status: string;
    seat_ids: string[];
    amount: number;
    currency: string;
    expires_at: Date | null;
    order_id: string | null;
    reason: string | null;
    request_fingerprint: string | null;
  }>(
    `select id, event_id, buyer_id, status, seat_ids, amount, currency, expires_at, order_id, reason,
            request_fingerprint
       from reservations where id = $1`,
    [reservationId],
  );
  const row = rows[0];
  if (!row) return undefined;
  return {
    id: row.id,
    eventId: row.event_id,
    buyerId: row.buyer_id,
    status: row.status,
    seatIds: row.seat_ids,
    amount: row.amount,
    currency: row.currency,
    expiresAt: row.expires_at?.toISOString() ?? null,
    orderId: row.order_id,
    reason: row.reason,
    requestFingerprint: row.request_fingerprint,
  };
}
