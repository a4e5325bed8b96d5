// Owns the ledger: one row per money movement (plus orders with none), and its CSV.
import { cur, type Lookups } from './lookups';
import type { OrderRow, Sources } from './sources';
import type { Discrepancy, LedgerRow, ReconcileReport } from './types';

/** Fills in the columns every kind of row shares: the order's, the workflow's, the discrepancies'. */
interface Describe {
  /** orderStatus, orderAmount, orderRefunded, validTickets, workflowStatus, in this order. */
  order(
    order: OrderRow | undefined,
    reservationId: string,
  ): Pick<LedgerRow, 'orderStatus' | 'orderAmount' | 'orderRefunded' | 'validTickets' | 'workflowStatus'>;
  /** The distinct codes of the discrepancies that match, `;`-separated. */
  codes(match: (d: Discrepancy) => boolean): string;
  /** The payments audit's statuses for a PaymentIntent, `;`-separated. */
  audit(paymentIntentId: string): string;
}

/**
 * The ledger: each charge at the gateway followed by its refunds, refunds the audit records but the
 * gateway never made, and orders whose payment moved no money. Sorted by time, charges before refunds.
 */
export function buildLedger(sources: Sources, lookups: Lookups, discrepancies: Discrepancy[]): LedgerRow[] {
  const describe = describer(sources, lookups, discrepancies);
  const charges = chargeRows(sources, lookups, describe);
  const charged = new Set(charges.filter((row) => row.kind === 'charge').map((row) => row.paymentIntentId));
  const rows = [
    ...charges,
    ...unmadeRefundRows(sources, lookups, describe),
    ...moneylessOrderRows(sources, charged, describe),
  ];
  return rows.sort((a, b) => a.at.localeCompare(b.at) || a.kind.localeCompare(b.kind));
}

function describer({ workflows }: Sources, lookups: Lookups, discrepancies: Discrepancy[]): Describe {
  const workflowOf = (reservationId: string) => {
    const facts = workflows.get(reservationId);
    if (!facts) return '';
    return facts.status ? `${facts.execution}:${facts.status}` : facts.execution;
  };
  return {
    order: (order, reservationId) => ({
      orderStatus: order?.status ?? '',
      orderAmount: order?.amount ?? '',
      orderRefunded: order?.refunded_amount ?? '',
      validTickets: order ? lookups.validTickets(order.id).length : '',
      workflowStatus: workflowOf(reservationId),
    }),
    codes: (match) => [...new Set(discrepancies.filter(match).map((d) => d.code))].join(';'),
    audit: (paymentIntentId) =>
      (lookups.paymentsByIntent.get(paymentIntentId) ?? []).map((payment) => payment.status).join(';'),
  };
}

/** Each PaymentIntent that moved money (or paid an order), then each of its refunds at the gateway. */
function chargeRows({ intents }: Sources, lookups: Lookups, describe: Describe): LedgerRow[] {
  const rows: LedgerRow[] = [];
  for (const { intent, refunds } of intents.values()) {
    const order = lookups.ordersByIntent.get(intent.id);
    // Declined, canceled and abandoned attempts moved no money; they stay in the audit, not the ledger.
    if (intent.status !== 'succeeded' && !order) continue;
    const audit = lookups.paymentsByIntent.get(intent.id) ?? [];
    const reservationId =
      intent.metadata?.reservationId || audit[0]?.reservation_id || order?.reservation_id || '';
    const common = {
      eventId:
        order?.event_id ??
        lookups.reservationsById.get(reservationId)?.event_id ??
        intent.metadata?.eventId ??
        '',
      currency: cur(intent.currency),
      reservationId,
      orderId: order?.id ?? '',
      paymentIntentId: intent.id,
      ...describe.order(order, reservationId),
    };
    rows.push({
      ...common,
      kind: 'charge',
      at: new Date(intent.created * 1000).toISOString(),
      stripeRefundId: '',
      refundId: '',
      amount: intent.status === 'succeeded' ? intent.amount_received : 0,
      gatewayStatus: intent.status,
      auditStatus: describe.audit(intent.id),
      discrepancies: describe.codes((d) => d.paymentIntentId === intent.id && !d.refundId),
    });
    for (const refund of refunds) {
      const row = lookups.refundRowsByStripeId.get(refund.id);
      const refundId = row?.id ?? refund.metadata?.refundId;
      rows.push({
        ...common,
        kind: 'refund',
        at: new Date(refund.created * 1000).toISOString(),
        stripeRefundId: refund.id,
        refundId: refundId ?? '',
        amount: -refund.amount,
        gatewayStatus: refund.status ?? '',
        auditStatus: row?.status ?? '',
        discrepancies: describe.codes((d) => d.paymentIntentId === intent.id && d.refundId === refundId),
      });
    }
  }
  return rows;
}

/** Refunds the audit calls succeeded that the gateway never made: listed so the gap is visible. */
function unmadeRefundRows({ pg, intents }: Sources, lookups: Lookups, describe: Describe): LedgerRow[] {
  const madeAtGateway = (stripeRefundId: string | null, paymentIntentId: string) =>
    stripeRefundId &&
    lookups.refundRowsByStripeId.has(stripeRefundId) &&
    intents.get(paymentIntentId)?.refunds.some((r) => r.id === stripeRefundId);
  return pg.refunds
    .filter(
      (row) => row.status === 'SUCCEEDED' && !madeAtGateway(row.stripe_refund_id, row.payment_intent_id),
    )
    .map((row): LedgerRow => {
      const order = row.order_id ? lookups.ordersById.get(row.order_id) : undefined;
      return {
        eventId: order?.event_id ?? lookups.reservationsById.get(row.reservation_id)?.event_id ?? '',
        currency: cur(row.currency),
        kind: 'refund',
        at: row.created_at.toISOString(),
        reservationId: row.reservation_id,
        orderId: row.order_id ?? '',
        paymentIntentId: row.payment_intent_id,
        stripeRefundId: row.stripe_refund_id ?? '',
        refundId: row.id,
        amount: -row.amount,
        gatewayStatus: 'missing',
        auditStatus: row.status,
        ...describe.order(order, row.reservation_id),
        discrepancies: describe.codes((d) => d.refundId === row.id),
      };
    });
}

/** Orders whose payment moved no money at the gateway: a row each, so every order is in the ledger. */
function moneylessOrderRows({ pg, intents }: Sources, charged: Set<string>, describe: Describe): LedgerRow[] {
  return pg.orders
    .filter((order) => !charged.has(order.payment_intent_id))
    .map(
      (order): LedgerRow => ({
        eventId: order.event_id,
        currency: cur(order.currency),
        kind: 'order',
        at: order.created_at.toISOString(),
        reservationId: order.reservation_id,
        orderId: order.id,
        paymentIntentId: order.payment_intent_id,
        stripeRefundId: '',
        refundId: '',
        amount: 0,
        gatewayStatus: intents.get(order.payment_intent_id)?.intent.status ?? 'missing',
        auditStatus: describe.audit(order.payment_intent_id),
        ...describe.order(order, order.reservation_id),
        discrepancies: describe.codes((d) => d.orderId === order.id),
      }),
    );
}

const ledgerColumns: (keyof LedgerRow)[] = [
  'eventId',
  'currency',
  'kind',
  'at',
  'reservationId',
  'orderId',
  'paymentIntentId',
  'stripeRefundId',
  'refundId',
  'amount',
  'gatewayStatus',
  'auditStatus',
  'orderStatus',
  'orderAmount',
  'orderRefunded',
  'validTickets',
  'workflowStatus',
  'discrepancies',
];

function csvField(value: unknown): string {
  const text = String(value ?? '');
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** The ledger as CSV (RFC 4180), one row per money movement, header first. */
export function ledgerCsv(report: ReconcileReport): string {
  const lines = [ledgerColumns.join(',')];
  for (const row of report.ledger) lines.push(ledgerColumns.map((column) => csvField(row[column])).join(','));
  return `${lines.join('\n')}\n`;
}
