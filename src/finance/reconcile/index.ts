// Owns the reconciliation report's entry point and its public API (what scripts and tests import).
import { runChecks } from './checks';
import { buildLedger } from './ledger';
import { lookUp } from './lookups';
import { summarise } from './report';
import { gatherSources } from './sources';
import type { ReconcileDeps, ReconcileReport, ReconcileScope } from './types';

export { ledgerCsv } from './ledger';
export { summaryText } from './report';
export * from './types';

/**
 * Builds the reconciliation report for one event or everything since a date. It joins what Postgres
 * says (reservations, orders, tickets, seats, the payments and refunds audit) with what each
 * reservation's workflow says (its result, or its search attributes while it runs) and with what the
 * payment gateway says (PaymentIntents and their refunds), and names every place where money and
 * tickets disagree. Output: a ledger, one row per money movement (plus orders with none), totals per
 * event and currency, counts by status, and the discrepancies. Read-only everywhere.
 *
 * @example
 * const report = await reconcile({ pool, temporal, stripe }, { eventId: 'evt_123' });
 * if (report.discrepancies.length > 0) process.exitCode = 1;
 */
export async function reconcile(deps: ReconcileDeps, scope: ReconcileScope): Promise<ReconcileReport> {
  const now = deps.now?.() ?? new Date();
  const unsettledBefore = now.getTime() - (deps.unsettledAfterMinutes ?? 10) * 60_000;

  const sources = await gatherSources(deps, scope);
  const lookups = lookUp(sources);
  const discrepancies = runChecks(sources, lookups, unsettledBefore);
  const ledger = buildLedger(sources, lookups, discrepancies);
  return summarise(scope, now, sources, lookups, ledger, discrepancies);
}
