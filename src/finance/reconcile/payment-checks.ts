// Owns the rules about the money itself: each PaymentIntent and its refunds, and each refunds audit row.
import { cur, refundedAtGateway } from './lookups';
import type { Checks, Rule } from './rule';
import type { IntentFacts, PaymentRow, RefundRow } from './sources';

interface IntentSubject extends IntentFacts {
  /** Its payments audit rows. */
  audit: PaymentRow[];
  reservationId: string | undefined;
  succeeded: boolean;
}

/** Money the gateway kept (net of refunds) has an order; a second charge for a sold reservation is double. */
const intentKeptMoneyHasOrder: Rule<IntentSubject> = (
  { intent, refunds, reservationId, succeeded, flag },
  { ordersByIntent, ordersByReservation },
) => {
  const net = succeeded ? intent.amount_received - refundedAtGateway(refunds) : 0;
  if (net <= 0 || ordersByIntent.has(intent.id)) return;
  const sold = reservationId ? ordersByReservation.get(reservationId) : undefined;
  if (sold) {
    flag(
      'DOUBLE_CHARGE',
      `reservation ${reservationId} is paid twice: ${sold.payment_intent_id} (order ${sold.id}) and ${intent.id} (${net} ${cur(intent.currency)} kept)`,
      { orderId: sold.id },
    );
  } else {
    flag(
      'MONEY_WITHOUT_TICKET',
      `${intent.id} kept ${net} ${cur(intent.currency)}${reservationId ? ` for reservation ${reservationId}` : ''}, and no order stands for it`,
    );
  }
};

/** The payments audit agrees with the gateway on the outcome and the amount of the charge. */
const intentMatchesAudit: Rule<IntentSubject> = ({ intent, audit, succeeded, flag }) => {
  if (audit.length === 0) {
    if (succeeded && intent.metadata?.reservationId) {
      flag(
        'PAYMENT_AUDIT_MISMATCH',
        `${intent.id} succeeded for reservation ${intent.metadata.reservationId} without a payments row`,
      );
    }
    return;
  }
  const auditSucceeded = audit.some((payment) => payment.status === 'SUCCEEDED');
  if (auditSucceeded !== succeeded) {
    flag(
      'PAYMENT_AUDIT_MISMATCH',
      `${intent.id} is ${intent.status} at the gateway, the payments audit says ${audit.map((p) => p.status).join(', ')}`,
    );
  }
  const wrong = audit.find(
    (payment) => payment.amount !== intent.amount || cur(payment.currency) !== cur(intent.currency),
  );
  if (wrong) {
    flag(
      'AMOUNT_MISMATCH',
      `${intent.id} is for ${intent.amount} ${cur(intent.currency)}, its payments row says ${wrong.amount} ${cur(wrong.currency)}`,
    );
  }
};

/**
 * Refunds at the gateway each have their audit row, with the same amount and outcome. Money no order
 * stands for has no Boxoffice refund to go through: refunding it at the gateway is the fix.
 */
const gatewayRefundsAudited: Rule<IntentSubject> = (
  { intent, refunds, flag },
  { ordersByIntent, refundRowsByStripeId },
) => {
  for (const refund of refunds) {
    const row = refundRowsByStripeId.get(refund.id);
    if (!row && !ordersByIntent.has(intent.id)) continue;
    if (!row) {
      flag(
        'REFUND_NOT_REFLECTED',
        `the gateway refunded ${refund.amount} ${cur(refund.currency)} of ${intent.id} (${refund.id}) with no refunds row`,
        { refundId: refund.metadata?.refundId },
      );
      continue;
    }
    const at = { refundId: row.id };
    if (row.amount !== refund.amount) {
      flag(
        'AMOUNT_MISMATCH',
        `refund ${row.id} records ${row.amount}, the gateway refunded ${refund.amount} (${refund.id})`,
        at,
      );
    }
    if (refund.status === 'succeeded' && row.status !== 'SUCCEEDED') {
      flag(
        'PAYMENT_AUDIT_MISMATCH',
        `refund ${row.id} is ${row.status} in the audit, succeeded at the gateway (${refund.id})`,
        at,
      );
    }
  }
};

export const intentChecks: Checks<IntentSubject> = {
  subjects: ({ sources, paymentsByIntent }) =>
    [...sources.intents.values()].map((facts) => {
      const audit = paymentsByIntent.get(facts.intent.id) ?? [];
      return {
        ...facts,
        audit,
        reservationId: facts.intent.metadata?.reservationId || audit[0]?.reservation_id,
        succeeded: facts.intent.status === 'succeeded',
      };
    }),
  where: ({ intent, reservationId }, { eventOf }) => ({
    eventId: eventOf(reservationId, intent.metadata?.eventId),
    reservationId,
    paymentIntentId: intent.id,
  }),
  rules: [intentKeptMoneyHasOrder, intentMatchesAudit, gatewayRefundsAudited],
};

/** A refund the audit calls SUCCEEDED is one the gateway made. */
const refundRowAtGateway: Rule<{ row: RefundRow }> = ({ row, flag }, { stripeRefundIds }) => {
  if (row.status === 'SUCCEEDED' && (!row.stripe_refund_id || !stripeRefundIds.has(row.stripe_refund_id))) {
    flag(
      'REFUND_NOT_REFLECTED',
      `refund ${row.id} of ${row.amount} is SUCCEEDED in the audit, but the gateway has no such refund${row.stripe_refund_id ? ` (${row.stripe_refund_id})` : ''}`,
    );
  }
};

/** A refund asked for long ago has the gateway's answer. */
const refundRowSettled: Rule<{ row: RefundRow }> = ({ row, flag }, { stripeRefundIds, unsettledBefore }) => {
  if (row.status !== 'REQUESTED' || row.created_at.getTime() >= unsettledBefore) return;
  const settled = row.stripe_refund_id && stripeRefundIds.has(row.stripe_refund_id);
  if (!settled) {
    flag(
      'REFUND_UNSETTLED',
      `refund ${row.id} of ${row.amount} was requested at ${row.created_at.toISOString()} and the gateway has not confirmed it`,
    );
  }
};

export const refundRowChecks: Checks<{ row: RefundRow }> = {
  subjects: ({ sources }) => sources.pg.refunds.map((row) => ({ row })),
  where: ({ row }, { eventOf }) => ({
    eventId: eventOf(row.reservation_id),
    reservationId: row.reservation_id,
    orderId: row.order_id ?? undefined,
    paymentIntentId: row.payment_intent_id,
    refundId: row.id,
  }),
  rules: [refundRowAtGateway, refundRowSettled],
};
