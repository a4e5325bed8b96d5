// The short chaos run (`npm run chaos -- --short`): a small flash sale on a stack of its own (Postgres,
// Redis, a persisted Temporal dev server, stripe-mock + fixture, the worker and the API as processes)
// while every kind of fault goes in once: worker SIGKILL, restarts of Temporal, Postgres and Redis, the
// gateway answering 5xx, hanging past the attempt timer, losing its answer after charging and answering
// late, Temporal Cancel and Terminate of live reservations. Then every invariant of DESIGN.md 1-6 holds
// and the reconciliation report finds nothing.
import { describe, expect, it } from 'vitest';
import { shortParams } from '../../bench/chaos/options';
import { runChaos } from '../../bench/chaos/run';

describe('the short chaos run', () => {
  it('keeps invariants 1-6 and reconciles to zero through every kind of fault', {
    timeout: 900_000,
  }, async () => {
    const result = await runChaos({ params: shortParams, out: undefined, keepData: false });

    // One comparison, so a red run shows every violation and discrepancy with the faults around it.
    const verdict = {
      faultsNotInjected: result.faults.filter((fault) => fault.injected < fault.planned),
      workflowsStillRunning: result.workflows.stillRunning,
      violations: Object.fromEntries(result.invariants.map((row) => [row.id, row.examples])),
      discrepancies: result.reconciliation.examples,
      reconciliationError: result.reconciliation.error,
    };
    expect(verdict).toEqual({
      faultsNotInjected: [],
      workflowsStillRunning: { count: 0, ids: [] },
      violations: Object.fromEntries(result.invariants.map((row) => [row.id, []])),
      discrepancies: [],
      reconciliationError: undefined,
    });
    expect(result.green).toBe(true);
  });
});
