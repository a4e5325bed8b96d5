// Owns the refund workflow's contract, shared by the API, the worker and support tooling: input, the
// refund view, its statuses and the status query. Pure: no I/O (the workflow bundle imports it).
import { defineQuery } from '@temporalio/workflow';

export const refundWorkflowType = 'refundWorkflow';
export const refundIdPrefix = 'refund_';

export type RefundStatus = 'PENDING' | 'REFUNDING' | 'SUCCEEDED' | 'FAILED';

export interface RefundWorkflowInput {
  /** The refund's id: the workflow id, the refunds row's primary key, the root of Stripe's idempotency key. */
  refundId: string;
  orderId: string;
  /** Minor units; absent = whatever of the order is still unrefunded. */
  amount?: number;
  reason: string;
  /** The support user who asked for it (seat_events actor, refunds row actor). */
  operator: string;
  /** The payment queue: the gateway call runs there, under its rate limit. */
  paymentTaskQueue: string;
}

/** The refund as the API returns it and as the workflow's status query and result report it. */
export interface RefundView {
  id: string;
  orderId: string;
  status: RefundStatus;
  /** Known once the order has been checked (the remaining amount when none was asked for). */
  amount: number | null;
  currency: string | null;
  reason: string;
  operator: string;
  stripeRefundId?: string;
  /** The order after the refund: REFUNDED or PARTIALLY_REFUNDED and its refunded total. */
  order?: { status: 'PAID' | 'REFUNDED' | 'PARTIALLY_REFUNDED'; refundedAmount: number };
  /** Seats the refund returned to sale (full refund under the event's refund_releases_seats policy). */
  releasedSeatIds: string[];
  /** Why it failed: a domain code (ALREADY_REFUNDED, REFUND_EXCEEDS_PAYMENT, REFUND_FAILED, ...). */
  error?: { code: string; message: string };
}

export const refundStatusQuery = defineQuery<RefundView>('status');

/** The workflow's signature, for typed client handles without importing workflow code. */
export type RefundWorkflow = (input: RefundWorkflowInput) => Promise<RefundView>;

/** What the workflow's first step learns from Postgres, with the refund's amount reserved on the order. */
export interface PreparedRefund {
  orderId: string;
  reservationId: string;
  eventId: string;
  buyerId: string;
  paymentIntentId: string;
  amount: number;
  currency: string;
}

export interface AppliedRefund {
  orderStatus: 'PAID' | 'REFUNDED' | 'PARTIALLY_REFUNDED';
  refundedAmount: number;
  releasedSeatIds: string[];
  voidedTickets: number;
}
