// Owns the refunds audit table: one row per refund, written REQUESTED before the gateway call and
// completed after it. A refund the gateway accepted but has not finished (`pending`) stays REQUESTED
// with its Stripe refund id, so "requested" always means "money not yet confirmed back".
import type { Queryable } from '../platform/db';

/** A refunds row: REQUESTED until the gateway confirms the money went back (the workflow has its own RefundView status). */
export type RefundRecordStatus = 'REQUESTED' | 'SUCCEEDED' | 'FAILED';

export interface RefundRow {
  id: string;
  orderId: string | null;
  reservationId: string;
  paymentIntentId: string;
  idempotencyKey: string;
  stripeRefundId: string | null;
  amount: number;
  currency: string;
  reason: string;
  actor: string;
  status: RefundRecordStatus;
  errorMessage: string | null;
  createdAt: Date;
  updatedAt: Date;
}

const columns = `id, order_id as "orderId", reservation_id as "reservationId",
  payment_intent_id as "paymentIntentId", idempotency_key as "idempotencyKey",
  stripe_refund_id as "stripeRefundId", amount, currency, reason, actor, status,
  error_message as "errorMessage", created_at as "createdAt", updated_at as "updatedAt"`;

export interface RefundRequest {
  id: string;
  orderId?: string | null;
  reservationId: string;
  paymentIntentId: string;
  idempotencyKey: string;
  amount: number;
  currency: string;
  reason: string;
  actor: string;
}

/**
 * Records that a refund is about to reach the gateway. Idempotent on the refund id: a retry returns the
 * existing row as it was first written, flipping a FAILED one back to REQUESTED for the new call.
 */
export async function requestRefund(db: Queryable, request: RefundRequest): Promise<RefundRow> {
  const { rows } = await db.query<RefundRow>(
    `insert into refunds
       (id, order_id, reservation_id, payment_intent_id, idempotency_key, amount, currency, reason, actor, status)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'REQUESTED')
     on conflict (id) do update set
       status = case when refunds.status = 'FAILED' then 'REQUESTED' else refunds.status end,
       updated_at = now()
     returning ${columns}`,
    [
      request.id,
      request.orderId ?? null,
      request.reservationId,
      request.paymentIntentId,
      request.idempotencyKey,
      request.amount,
      request.currency,
      request.reason,
      request.actor,
    ],
  );
  return rows[0] as RefundRow;
}

/** Records the gateway's refund: SUCCEEDED, or still REQUESTED while it is pending at the gateway. */
export async function recordRefundAccepted(
  db: Queryable,
  id: string,
  result: { stripeRefundId: string; status: 'SUCCEEDED' | 'REQUESTED' },
): Promise<void> {
  await db.query(
    `update refunds set stripe_refund_id = $2, status = $3, error_message = null, updated_at = now()
     where id = $1 and status <> 'SUCCEEDED'`,
    [id, result.stripeRefundId, result.status],
  );
}

/** Records a refund call that failed; a refund already SUCCEEDED is never downgraded. */
export async function recordRefundFailed(db: Queryable, id: string, errorMessage: string): Promise<void> {
  await db.query(
    `update refunds set status = 'FAILED', error_message = $2, updated_at = now()
     where id = $1 and status <> 'SUCCEEDED'`,
    [id, errorMessage],
  );
}

export async function findRefund(db: Queryable, id: string): Promise<RefundRow | undefined> {
  const { rows } = await db.query<RefundRow>(`select ${columns} from refunds where id = $1`, [id]);
  return rows[0];
}

export async function findRefundsByIntent(db: Queryable, paymentIntentId: string): Promise<RefundRow[]> {
  const { rows } = await db.query<RefundRow>(
    `select ${columns} from refunds where payment_intent_id = $1 order by created_at`,
    [paymentIntentId],
  );
  return rows;
}
