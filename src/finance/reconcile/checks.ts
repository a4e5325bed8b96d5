// Owns running the discrepancy checks: every rule on every subject, in the order the report lists them.
import type { Lookups } from './lookups';
import { orderChecks } from './order-checks';
import { intentChecks, refundRowChecks } from './payment-checks';
import type { Checks, Context, Flag } from './rule';
import { seatChecks, workflowChecks } from './seat-checks';
import type { Sources } from './sources';
import type { Discrepancy } from './types';

/**
 * Names every place where money and tickets disagree. Subjects come in a fixed order (orders,
 * PaymentIntents, refunds rows, seats, workflows) and one subject's rules run together, so a report
 * always lists its discrepancies the same way.
 */
export function runChecks(sources: Sources, lookups: Lookups, unsettledBefore: number): Discrepancy[] {
  const discrepancies: Discrepancy[] = [];
  const context: Context = { ...lookups, sources, unsettledBefore };
  const run = <T>({ subjects, where, rules }: Checks<T>) => {
    for (const subject of subjects(context)) {
      const at = where(subject, context);
      const flag: Flag = (code, message, more) => discrepancies.push({ code, message, ...at, ...more });
      for (const rule of rules) rule({ ...subject, flag }, context);
    }
  };
  run(orderChecks);
  run(intentChecks);
  run(refundRowChecks);
  run(seatChecks);
  run(workflowChecks);
  return discrepancies;
}
