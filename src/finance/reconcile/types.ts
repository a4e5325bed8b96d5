// Owns the report's public shapes: what reconcile() is asked and answers, and the discrepancy kinds.
import type { Client } from '@temporalio/client';
import type Stripe from 'stripe';
import type { Pool } from '../../platform/db';

export type ReconcileScope = { eventId: string } | { since: Date };

export const discrepancyCodes = [
  /** The gateway kept money (net of refunds) that no valid ticket stands for. */
  'MONEY_WITHOUT_TICKET',
  /** A valid ticket or a sold seat that no money (net of refunds) stands for. */
  'TICKET_WITHOUT_MONEY',
  /** Amounts or currencies disagree: order vs gateway, order vs its seats, audit vs gateway. */
  'AMOUNT_MISMATCH',
  /** One reservation paid more than once. */
  'DOUBLE_CHARGE',
  /** A refund at the gateway that the order (or the refunds audit) does not show, or the reverse. */
  'REFUND_NOT_REFLECTED',
  /** The payments/refunds audit says something else than the gateway. */
  'PAYMENT_AUDIT_MISMATCH',
  /** The reservation's workflow and Postgres disagree about the outcome. */
  'WORKFLOW_MISMATCH',
  /** A seat is held by a reservation whose workflow is not running (nothing will ever release it). */
  'HOLD_WITHOUT_WORKFLOW',
  /** A valid ticket whose seat is not sold to its order, or a sold seat without a valid ticket. */
  'SEAT_MISMATCH',
  /** A refund asked for long ago that the gateway has not confirmed. */
  'REFUND_UNSETTLED',
] as const;
export type DiscrepancyCode = (typeof discrepancyCodes)[number];

export interface Discrepancy {
  code: DiscrepancyCode;
  message: string;
  eventId?: string;
  reservationId?: string;
  orderId?: string;
  paymentIntentId?: string;
  refundId?: string;
}

export interface LedgerRow {
  eventId: string;
  currency: string;
  kind: 'charge' | 'refund' | 'order';
  at: string;
  reservationId: string;
  orderId: string;
  paymentIntentId: string;
  stripeRefundId: string;
  refundId: string;
  /** Minor units; charges positive, refunds negative, 0 for an order with no money movement. */
  amount: number;
  gatewayStatus: string;
  auditStatus: string;
  orderStatus: string;
  orderAmount: number | '';
  orderRefunded: number | '';
  validTickets: number | '';
  workflowStatus: string;
  discrepancies: string;
}

export interface Totals {
  eventId: string;
  currency: string;
  charged: number;
  refunded: number;
  net: number;
  orders: number;
  validTickets: number;
}

export interface ReconcileReport {
  scope: { eventId: string } | { since: string };
  generatedAt: string;
  ledger: LedgerRow[];
  totals: Totals[];
  counts: {
    orders: Record<string, number>;
    reservations: Record<string, number>;
    payments: Record<string, number>;
    refunds: Record<string, number>;
    /** Gateway PaymentIntents in the date range that carry no Boxoffice metadata and no reference. */
    foreignPaymentIntents: number;
  };
  discrepancies: Discrepancy[];
}

export interface ReconcileDeps {
  pool: Pool;
  temporal: Client;
  stripe: Stripe;
  /** Parallel calls to Temporal and the gateway (default 8). */
  concurrency?: number;
  /** A refund REQUESTED longer than this without the gateway's answer is unsettled (default 10). */
  unsettledAfterMinutes?: number;
  now?: () => Date;
}
