// Owns what a refund does to an order in Postgres: reserving the refund's amount against what the order
// still has unrefunded (the refunds audit row, written before the gateway call), and applying an
// accepted refund: the order's refunded total and status, and on a full refund under the event's
// policy, void tickets and sold -> available seats with their seat_events rows, in one transaction.

import type { OrderColumns } from '../checkout/orders';
import { DomainError } from '../errors';
import { type SeatChange, voidSeatsTx } from '../inventory/seats';
import type { PoolClient } from '../platform/db';
import { findRefund, type RefundRow, requestRefund } from './refunds';

export type OrderStatus = 'PAID' | 'REFUNDED' | 'PARTIALLY_REFUNDED';

interface LockedOrder extends OrderColumns {
  refund_releases_seats: boolean;
}

/** Locks the order row for the rest of the transaction: refunds of one order queue behind each other. */
async function lockOrder(client: PoolClient, orderId: string): Promise<LockedOrder> {
  const { rows } = await client.query<LockedOrder>(
    `select o.id, o.reservation_id, o.event_id, o.buyer_id, o.amount, o.refunded_amount, o.currency,
            o.payment_intent_id, o.status, e.refund_releases_seats
       from orders o join events e on e.id = o.event_id
      where o.id = $1
        for update of o`,
    [orderId],
  );
  const order = rows[0];
  if (!order) throw new DomainError('ORDER_NOT_FOUND', `order ${orderId} does not exist`);
  return order;
}

/**
 * What of an order can still be refunded: its amount minus every refund that is not FAILED (succeeded,
 * accepted by the gateway, or about to be asked for), never less than what the order already records.
 */
async function refundableOf(client: PoolClient, order: LockedOrder): Promise<number> {
  const { rows } = await client.query<{ taken: number }>(
    `select coalesce(sum(amount), 0)::bigint as taken from refunds
      where (order_id = $1 or payment_intent_id = $2) and status <> 'FAILED'`,
    [order.id, order.payment_intent_id],
  );
  return order.amount - Math.max(order.refunded_amount, rows[0]?.taken ?? 0);
}

export interface RefundCheck {
  orderId: string;
  amount?: number;
}

export interface Refundable {
  order: Omit<LockedOrder, 'refund_releases_seats'>;
  /** What may still be refunded. */
  refundable: number;
  /** The amount this refund will take: the one asked for, or everything refundable. */
  amount: number;
}

/**
 * Checks a refund against the order without writing: ALREADY_REFUNDED when nothing is left to refund,
 * REFUND_EXCEEDS_PAYMENT when more is asked than is left. The API calls it before anything is charged;
 * the workflow's first step calls it again under the order's row lock, for races.
 */
export async function checkRefundTx(client: PoolClient, check: RefundCheck): Promise<Refundable> {
  const locked = await lockOrder(client, check.orderId);
  const { refund_releases_seats: _policy, ...order } = locked;
  return { order, ...assess(order, await refundableOf(client, locked), check.amount) };
}

function assess(order: Refundable['order'], refundable: number, asked?: number) {
  if (order.status === 'REFUNDED' || refundable <= 0) {
    throw new DomainError(
      'ALREADY_REFUNDED',
      order.status === 'REFUNDED'
        ? `order ${order.id} is already refunded`
        : `order ${order.id} has nothing left to refund (refunds for the whole amount exist or are in progress)`,
      { orderId: order.id, amount: order.amount, refundedAmount: order.refunded_amount },
    );
  }
  if (asked !== undefined && asked > refundable) {
    throw new DomainError(
      'REFUND_EXCEEDS_PAYMENT',
      `a refund of ${asked} ${order.currency} exceeds the ${refundable} ${order.currency} still refundable on order ${order.id}`,
      { orderId: order.id, requested: asked, refundable, currency: order.currency },
    );
  }
  return { refundable, amount: asked ?? refundable };
}

export interface ReserveRefundInput extends RefundCheck {
  refundId: string;
  idempotencyKey: string;
  reason: string;
  actor: string;
}

/**
 * Checks the refund under the order's row lock and writes its refunds row REQUESTED, so a concurrent
 * refund of the same order sees this amount as taken. A repeat for the same refund id returns the row
 * it wrote first (the activity may be retried after its commit).
 */
export async function reserveRefundTx(
  client: PoolClient,
  input: ReserveRefundInput,
): Promise<{ refund: RefundRow; eventId: string; buyerId: string }> {
  const order = await lockOrder(client, input.orderId);
  const of = (refund: RefundRow) => ({ refund, eventId: order.event_id, buyerId: order.buyer_id });
  const existing = await findRefund(client, input.refundId);
  if (existing) return of(existing);
  const { amount } = assess(order, await refundableOf(client, order), input.amount);
  const refund = await requestRefund(client, {
    id: input.refundId,
    orderId: order.id,
    reservationId: order.reservation_id,
    paymentIntentId: order.payment_intent_id,
    idempotencyKey: input.idempotencyKey,
    amount,
    currency: order.currency,
    reason: input.reason,
    actor: input.actor,
  });
  return of(refund);
}

export interface ApplyRefundInput {
  orderId: string;
  refundId: string;
  reason: string;
  actor: string;
}

export interface AppliedRefundTx {
  /** The order's event, whose live sales view hears of the refund. */
  eventId: string;
  orderStatus: OrderStatus;
  refundedAmount: number;
  releasedSeatIds: string[];
  voidedTickets: number;
  /** Seat map changes to write through after commit. */
  changes: SeatChange[];
}

/**
 * Brings the order in line with the refunds the gateway accepted: refunded total and status recomputed
 * from the refunds audit (so a repeat changes nothing), and on a full refund under the event's
 * refund_releases_seats policy, tickets VOID and their seats sold -> available (seat_events rows).
 */
export async function applyRefundTx(client: PoolClient, input: ApplyRefundInput): Promise<AppliedRefundTx> {
  const order = await lockOrder(client, input.orderId);
  const { rows } = await client.query<{ refunded: number }>(
    `select coalesce(sum(amount), 0)::bigint as refunded from refunds
      where (order_id = $1 or payment_intent_id = $2)
        and stripe_refund_id is not null and status in ('SUCCEEDED', 'REQUESTED')`,
    [order.id, order.payment_intent_id],
  );
  const refundedAmount = Math.min(order.amount, Math.max(order.refunded_amount, rows[0]?.refunded ?? 0));
  const orderStatus: OrderStatus =
    refundedAmount >= order.amount ? 'REFUNDED' : refundedAmount > 0 ? 'PARTIALLY_REFUNDED' : 'PAID';
  await client.query(
    `update orders set refunded_amount = $2, status = $3, updated_at = now()
      where id = $1 and (refunded_amount, status) is distinct from ($2::bigint, $3::text)`,
    [order.id, refundedAmount, orderStatus],
  );
  if (orderStatus !== 'REFUNDED' || !order.refund_releases_seats) {
    return {
      eventId: order.event_id,
      orderStatus,
      refundedAmount,
      releasedSeatIds: [],
      voidedTickets: 0,
      changes: [],
    };
  }
  const voided = await client.query<{ seat_id: string }>(
    `update tickets set status = 'VOID' where order_id = $1 and status = 'VALID' returning seat_id`,
    [order.id],
  );
  const tickets = await client.query<{ seat_id: string }>(
    'select seat_id from tickets where order_id = $1 order by seat_id',
    [order.id],
  );
  const transition = await voidSeatsTx(client, {
    eventId: order.event_id,
    orderId: order.id,
    seatIds: tickets.rows.map((row) => row.seat_id),
    reason: `refund ${input.refundId}: ${input.reason}`,
    actor: input.actor,
  });
  return {
    eventId: order.event_id,
    orderStatus,
    refundedAmount,
    releasedSeatIds: transition.seatIds,
    voidedTickets: voided.rowCount ?? 0,
    changes: transition.changes,
  };
}
