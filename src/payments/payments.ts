// Owns the payments audit table: one row per charge attempt, written REQUESTED before the gateway call
// and completed after it, so finance can trace every charge even when the gateway's answer was lost.
import type { Queryable } from '../platform/db';

export type PaymentStatus = 'REQUESTED' | 'SUCCEEDED' | 'DECLINED' | 'FAILED' | 'CANCELED' | 'PROCESSING';

/**
 * Statuses the gateway will never change again for this attempt: a succeeded PaymentIntent stays
 * succeeded, a canceled one stays canceled, and a declined attempt is never confirmed again (another
 * card is another attempt). A late or replayed answer can't move a row out of them.
 */
/** What a PaymentIntent's state at the gateway means for its audit row. */
export function auditStatusOf(intentStatus: string): PaymentStatus {
  if (intentStatus === 'succeeded') return 'SUCCEEDED';
  if (intentStatus === 'canceled') return 'CANCELED';
  if (intentStatus === 'requires_payment_method') return 'FAILED';
  return 'PROCESSING';
}

export const finalPaymentStatuses: readonly PaymentStatus[] = ['SUCCEEDED', 'DECLINED', 'CANCELED'];

export interface PaymentRow {
  id: number;
  reservationId: string;
  orderId: string | null;
  attempt: number;
  idempotencyKey: string;
  paymentMethodId: string;
  paymentIntentId: string | null;
  amount: number;
  currency: string;
  status: PaymentStatus;
  errorCode: string | null;
  errorMessage: string | null;
  createdAt: Date;
  updatedAt: Date;
}

const columns = `id, reservation_id as "reservationId", order_id as "orderId", attempt,
  idempotency_key as "idempotencyKey", payment_method_id as "paymentMethodId",
  payment_intent_id as "paymentIntentId", amount, currency, status, error_code as "errorCode",
  error_message as "errorMessage", created_at as "createdAt", updated_at as "updatedAt"`;

export interface PaymentRequest {
  reservationId: string;
  attempt: number;
  idempotencyKey: string;
  paymentMethodId: string;
  amount: number;
  currency: string;
}

/**
 * Records that a charge attempt is about to reach the gateway. Idempotent on the key: a retry returns
 * the existing row, flipping a FAILED one (the previous call's outcome was unknown) back to REQUESTED.
 */
export async function requestPayment(db: Queryable, request: PaymentRequest): Promise<PaymentRow> {
  const { rows } = await db.query<PaymentRow>(
    `insert into payments (reservation_id, attempt, idempotency_key, payment_method_id, amount, currency, status)
     values ($1, $2, $3, $4, $5, $6, 'REQUESTED')
     on conflict (idempotency_key) do update set
       status = case when payments.status = 'FAILED' then 'REQUESTED' else payments.status end,
       updated_at = now()
     returning ${columns}`,
    [
      request.reservationId,
      request.attempt,
      request.idempotencyKey,
      request.paymentMethodId,
      request.amount,
      request.currency,
    ],
  );
  return rows[0] as PaymentRow;
}

export interface PaymentResult {
  status: PaymentStatus;
  paymentIntentId?: string | null;
  errorCode?: string | null;
  errorMessage?: string | null;
}

/**
 * Completes an attempt's row with what the gateway said. A row already in a final status keeps it (and
 * is returned unchanged), so a late answer from a timed-out call can't overwrite the reconciled truth.
 */
export async function recordPaymentResult(
  db: Queryable,
  idempotencyKey: string,
  result: PaymentResult,
): Promise<PaymentRow | undefined> {
  const { rows } = await db.query<PaymentRow>(
    `update payments set
       status = $2,
       payment_intent_id = coalesce($3, payment_intent_id),
       error_code = $4,
       error_message = $5,
       updated_at = now()
     where idempotency_key = $1 and status <> all($6::text[])
     returning ${columns}`,
    [
      idempotencyKey,
      result.status,
      result.paymentIntentId ?? null,
      result.errorCode ?? null,
      result.errorMessage ?? null,
      finalPaymentStatuses,
    ],
  );
  return rows[0] ?? findPaymentByKey(db, idempotencyKey);
}

export async function findPaymentByKey(
  db: Queryable,
  idempotencyKey: string,
): Promise<PaymentRow | undefined> {
  const { rows } = await db.query<PaymentRow>(`select ${columns} from payments where idempotency_key = $1`, [
    idempotencyKey,
  ]);
  return rows[0];
}

export async function findPaymentsByIntent(db: Queryable, paymentIntentId: string): Promise<PaymentRow[]> {
  const { rows } = await db.query<PaymentRow>(
    `select ${columns} from payments where payment_intent_id = $1 order by id`,
    [paymentIntentId],
  );
  return rows;
}

export async function findPaymentsByReservation(db: Queryable, reservationId: string): Promise<PaymentRow[]> {
  const { rows } = await db.query<PaymentRow>(
    `select ${columns} from payments where reservation_id = $1 order by attempt`,
    [reservationId],
  );
  return rows;
}

/** Moves every non-final row of a PaymentIntent to `status` (a cancel seen at the gateway, for one). */
export async function recordIntentStatus(
  db: Queryable,
  paymentIntentId: string,
  status: PaymentStatus,
): Promise<void> {
  await db.query(
    `update payments set status = $2, updated_at = now()
     where payment_intent_id = $1 and status <> all($3::text[])`,
    [paymentIntentId, status, finalPaymentStatuses],
  );
}

export interface VerifiedPayment {
  reservationId: string;
  /** The attempt that created the PaymentIntent, or 0 for a payment made outside the checkout. */
  attempt: number;
  idempotencyKey: string;
  paymentMethodId: string;
  paymentIntentId: string;
  amount: number;
  currency: string;
}

/**
 * Records a PaymentIntent that the gateway confirmed succeeded (support's forceConfirm): completes the
 * attempt's own row, or adds one for a payment made outside the checkout.
 */
export async function recordVerifiedPayment(db: Queryable, payment: VerifiedPayment): Promise<PaymentRow> {
  const { rows } = await db.query<PaymentRow>(
    `insert into payments
       (reservation_id, attempt, idempotency_key, payment_method_id, payment_intent_id, amount, currency, status)
     values ($1, $2, $3, $4, $5, $6, $7, 'SUCCEEDED')
     on conflict (idempotency_key) do update set
       status = 'SUCCEEDED',
       payment_intent_id = excluded.payment_intent_id,
       error_code = null,
       error_message = null,
       updated_at = now()
     returning ${columns}`,
    [
      payment.reservationId,
      payment.attempt,
      payment.idempotencyKey,
      payment.paymentMethodId,
      payment.paymentIntentId,
      payment.amount,
      payment.currency,
    ],
  );
  return rows[0] as PaymentRow;
}
