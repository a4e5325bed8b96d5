// Owns the report's summing up: totals per event and currency, counts by status, and the summary text.
import { cur, type Lookups, refundMovesMoney } from './lookups';
import type { Sources } from './sources';
import type { Discrepancy, LedgerRow, ReconcileReport, ReconcileScope, Totals } from './types';

/** The report: the ledger and discrepancies as they are, with totals and counts added. */
export function summarise(
  scope: ReconcileScope,
  now: Date,
  sources: Sources,
  lookups: Lookups,
  ledger: LedgerRow[],
  discrepancies: Discrepancy[],
): ReconcileReport {
  const { pg, workflows } = sources;
  return {
    scope: 'eventId' in scope ? { eventId: scope.eventId } : { since: scope.since.toISOString() },
    generatedAt: now.toISOString(),
    ledger,
    totals: totalsOf(ledger, sources, lookups),
    counts: {
      orders: countBy(pg.orders, (order) => order.status),
      reservations: countBy(
        [...sources.reservationIds],
        (id) => workflows.get(id)?.status ?? lookups.reservationsById.get(id)?.status ?? 'UNKNOWN',
      ),
      payments: countBy(pg.payments, (payment) => payment.status),
      refunds: countBy(pg.refunds, (refund) => refund.status),
      foreignPaymentIntents: sources.foreignPaymentIntents,
    },
    discrepancies,
  };
}

/** Money per event and currency as the gateway moved it, with the orders and valid tickets it stands for. */
function totalsOf(ledger: LedgerRow[], { pg }: Sources, lookups: Lookups): Totals[] {
  const totals = new Map<string, Totals>();
  const of = (eventId: string, currency: string) => {
    const key = `${eventId}\n${currency}`;
    let entry = totals.get(key);
    if (!entry) {
      entry = { eventId, currency, charged: 0, refunded: 0, net: 0, orders: 0, validTickets: 0 };
      totals.set(key, entry);
    }
    return entry;
  };
  for (const row of ledger) {
    if (row.kind === 'order' || row.gatewayStatus === 'missing') continue;
    const entry = of(row.eventId, row.currency);
    if (row.kind === 'charge') entry.charged += row.amount;
    else if (refundMovesMoney(row.gatewayStatus)) entry.refunded += -row.amount;
  }
  for (const order of pg.orders) {
    const entry = of(order.event_id, cur(order.currency));
    entry.orders += 1;
    entry.validTickets += lookups.validTickets(order.id).length;
  }
  for (const entry of totals.values()) entry.net = entry.charged - entry.refunded;
  return [...totals.values()].sort(
    (a, b) => a.eventId.localeCompare(b.eventId) || a.currency.localeCompare(b.currency),
  );
}

function countBy<T>(items: T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}

function formatCounts(counts: Record<string, number>): string {
  const entries = Object.entries(counts).sort(([a], [b]) => a.localeCompare(b));
  return entries.length ? entries.map(([key, n]) => `${key} ${n}`).join(', ') : 'none';
}

/** The human summary: scope, totals per event and currency, counts by status, every discrepancy. */
export function summaryText(report: ReconcileReport): string {
  const scope = 'eventId' in report.scope ? `event ${report.scope.eventId}` : `since ${report.scope.since}`;
  const lines = [`Reconciliation of ${scope} at ${report.generatedAt}`, '', 'Totals (minor units):'];
  if (report.totals.length === 0) lines.push('  no money movements');
  for (const t of report.totals) {
    lines.push(
      `  ${t.eventId} ${t.currency}: charged ${t.charged}, refunded ${t.refunded}, net ${t.net}; ${t.orders} order(s), ${t.validTickets} valid ticket(s)`,
    );
  }
  lines.push(
    '',
    'Counts:',
    `  orders: ${formatCounts(report.counts.orders)}`,
    `  reservations: ${formatCounts(report.counts.reservations)}`,
    `  payment attempts: ${formatCounts(report.counts.payments)}`,
    `  refunds: ${formatCounts(report.counts.refunds)}`,
  );
  if (report.counts.foreignPaymentIntents > 0) {
    lines.push(
      `  gateway PaymentIntents not made by Boxoffice (ignored): ${report.counts.foreignPaymentIntents}`,
    );
  }
  lines.push('', `Discrepancies: ${report.discrepancies.length}`);
  const byCode = countBy(report.discrepancies, (d) => d.code);
  if (report.discrepancies.length > 0) lines.push(`  by kind: ${formatCounts(byCode)}`);
  for (const d of report.discrepancies) lines.push(`  ${d.code}: ${d.message}`);
  return `${lines.join('\n')}\n`;
}
