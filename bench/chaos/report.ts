// Owns the chaos run's record and its reading: faults injected per kind, violations per invariant with the
// faults around each, the reconciliation's discrepancies, the buyers' outcomes; as bench/results JSON and
// markdown, and the verdict (green only with zero violations, zero discrepancies, every workflow ended).
import type { ReconcileReport } from '../../src/finance/reconcile';
import { gitCommit, type MachineLoad, markdownTable, runEnvironment } from '../lib/stats';
import type { Sale } from './buyers';
import { type Injection, injectedCounts } from './faults';
import { type InvariantId, type InvariantReport, invariantNames } from './invariants';
import type { ChaosParams } from './options';
import type { LeaseProbe, Settled } from './settle';

export interface RunFacts {
  run: string;
  params: ChaosParams;
  loadAtStart: MachineLoad;
  startedAt: number;
  saleMs: number;
  totalMs: number;
  sale: Sale;
  lateArrivals: number;
  injections: Injection[];
  crashes: Record<string, number>;
  settled: Settled;
  probes: LeaseProbe[];
  invariants: InvariantReport;
  /** Each violating reservation's life in Postgres (epoch ms), to find the faults around it. */
  lifetimes: Map<string, { from: number; to: number }>;
  /** The report, or why it could not be made (which makes the run red). */
  reconciliation: ReconcileReport | { error: string };
}

export type ChaosResult = ReturnType<typeof chaosResult>;

const margin = 10_000;

/** The faults that can explain a violation: its Temporal target, or those during its reservation's life. */
export function faultsAround(
  subject: { reservationId?: string },
  facts: Pick<RunFacts, 'injections' | 'lifetimes' | 'startedAt'>,
) {
  const id = subject.reservationId;
  const label = (i: Injection) => `${i.kind}@+${Math.round((i.at - facts.startedAt) / 1000)}s`;
  const targeted = facts.injections.filter((i) => i.ok && id && i.target === id);
  if (targeted.length > 0) return targeted.map((i) => `${label(i)} (its target)`);
  const life = id ? facts.lifetimes.get(id) : undefined;
  if (!life) return [];
  return facts.injections
    .filter((i) => i.ok && !i.target && i.at <= life.to + margin && i.endedAt + margin >= life.from)
    .map(label);
}

export function chaosResult(facts: RunFacts) {
  const { params, invariants, settled } = facts;
  const reconcileError = 'error' in facts.reconciliation ? facts.reconciliation.error : undefined;
  const reconciliation = 'error' in facts.reconciliation ? undefined : facts.reconciliation;
  const discrepancies = reconciliation?.discrepancies ?? [];
  const ids = Object.keys(invariantNames).map((id) => (id === 'audit' ? id : Number(id))) as InvariantId[];
  const invariantRows = ids.map((id) => {
    const found = invariants.violations.filter((v) => v.invariant === id);
    return {
      id,
      name: invariantNames[id],
      violations: found.length,
      examples: found.slice(0, 25).map((v) => ({ ...v, faultsAround: faultsAround(v, facts) })),
    };
  });
  const byCode: Record<string, number> = {};
  for (const d of discrepancies) byCode[d.code] = (byCode[d.code] ?? 0) + 1;
  const green =
    invariants.violations.length === 0 &&
    !reconcileError &&
    discrepancies.length === 0 &&
    settled.stillRunning.count === 0;
  return {
    benchmark: 'chaos',
    run: facts.run,
    generatedAt: new Date().toISOString(),
    commit: gitCommit(),
    green,
    environment: runEnvironment(facts.loadAtStart),
    params,
    seconds: { sale: Math.round(facts.saleMs / 1000), total: Math.round(facts.totalMs / 1000) },
    faults: injectedCounts(facts.injections, params),
    injections: facts.injections.map((i) => ({
      ...i,
      atSecond: Math.round((i.at - facts.startedAt) / 1000),
    })),
    unexpectedExits: facts.crashes,
    buyers: {
      reservationsAsked: facts.sale.requests.size,
      lateArrivals: facts.lateArrivals,
      outcomes: facts.sale.outcomes,
      answers: facts.sale.tally,
      threeDsWithoutNextAction: facts.sale.threeDsWithoutNextAction,
    },
    workflows: { waitedSeconds: Math.round(settled.waitedMs / 1000), stillRunning: settled.stillRunning },
    leaseProbes: facts.probes,
    leaseReclaims: invariants.leaseReclaims,
    extraChargesRefunded: invariants.extraChargesRefunded,
    invariants: invariantRows,
    reconciliation: {
      error: reconcileError,
      discrepancies: discrepancies.length,
      byCode,
      examples: discrepancies.slice(0, 25).map((d) => ({ ...d, faultsAround: faultsAround(d, facts) })),
      totals: reconciliation?.totals ?? [],
      counts: reconciliation?.counts,
    },
  };
}

export function chaosMarkdown(result: ChaosResult): string {
  const p = result.params;
  const lines = [
    `# Chaos run: ${result.green ? 'GREEN' : 'RED'}`,
    '',
    `Run ${result.run} of commit ${result.commit ?? '?'}, ${result.generatedAt}; ${result.environment.cpus} CPUs, ` +
      `load ${result.environment.loadAverageAtStart.join(' ')} at start. A flash sale of ${p.seats} seats to ` +
      `${p.buyers} buyers over ${p.durationSeconds} s (hold ${p.holdSeconds} s, payment window ` +
      `${p.paymentWindowSeconds} s, attempt timer ${p.attemptTimeoutSeconds} s, grace ${p.holdGraceSeconds} s), ` +
      `${result.seconds.total} s in all. Generated by \`npm run chaos\`.`,
    '',
    '## Faults',
    '',
    markdownTable(
      ['fault', 'what', 'planned', 'injected', 'missed'],
      result.faults.map((f) => [f.kind, f.description, f.planned, f.injected, f.missed]),
    ),
    '',
    '## Invariants (goal: 0 violations)',
    '',
    markdownTable(
      ['#', 'invariant', 'violations'],
      result.invariants.map((i) => [i.id, i.name, i.violations]),
    ),
    '',
    `Workflows still running after the bounded wait (${result.workflows.waitedSeconds} s): ` +
      `${result.workflows.stillRunning.count} (goal 0).`,
    '',
    '## Reconciliation (goal: 0 discrepancies)',
    '',
    result.reconciliation.error
      ? `The report failed: ${result.reconciliation.error}`
      : result.reconciliation.discrepancies === 0
        ? 'No discrepancies.'
        : markdownTable(['discrepancy', 'count'], Object.entries(result.reconciliation.byCode)),
    '',
    ...violationList(result),
    '## Buyers',
    '',
    markdownTable(
      ['plan', 'outcomes'],
      Object.entries(result.buyers.outcomes).map(([plan, outcomes]) => [plan, countsCell(outcomes)]),
    ),
    '',
    markdownTable(
      ['endpoint', 'answers (status: count; 0 = no answer)'],
      Object.entries(result.buyers.answers).map(([endpoint, counts]) => [endpoint, countsCell(counts)]),
    ),
    '',
    '## Notes',
    '',
    `- Server errors the API answered (500; 503 means overloaded or down): ${serverErrors(result)}.`,
    `- Unexpected exits (restarted by the harness): ${Object.entries(result.unexpectedExits)
      .map(([name, n]) => `${name} ${n}`)
      .join(', ')}.`,
    `- 3-D Secure confirms whose answers showed no payment.nextAction (challenge found at the gateway): ${result.buyers.threeDsWithoutNextAction}.`,
    `- Seats taken over from a reservation whose workflow was gone (lease reclaims): ${result.leaseReclaims}; ` +
      `seats probed after lease + grace: ${result.leaseProbes.length}.`,
    `- Reservations charged twice with the extra charge refunded: ${result.extraChargesRefunded.length}.`,
  ];
  return `${lines.join('\n')}\n`;
}

function violationList(result: ChaosResult): string[] {
  const shown = result.invariants.flatMap((i) => i.examples.map((v) => ({ ...v, id: i.id })));
  const discrepancies = result.reconciliation.examples;
  if (shown.length === 0 && discrepancies.length === 0) return [];
  return [
    '## What broke, and the faults around it',
    '',
    ...shown.map(
      (v) =>
        `- [${v.id}] ${[v.reservationId, v.seatId, v.buyerId].filter(Boolean).join(' ')}: ${v.message}` +
        ` (faults: ${v.faultsAround.join(', ') || 'none nearby'})`,
    ),
    ...discrepancies.map(
      (d) =>
        `- [reconcile ${d.code}] ${d.reservationId ?? d.orderId ?? ''}: ${d.message}` +
        ` (faults: ${d.faultsAround.join(', ') || 'none nearby'})`,
    ),
    '',
  ];
}

function serverErrors(result: ChaosResult): string {
  const counts = Object.entries(result.buyers.answers)
    .filter(([endpoint]) => endpoint !== 'fixture')
    .map(([endpoint, answers]) => `${endpoint} ${answers['500'] ?? 0}`);
  return counts.join(', ');
}

const countsCell = (counts: Record<string, number>) =>
  Object.entries(counts)
    .map(([what, n]) => `${what}: ${n}`)
    .join(', ') || '-';
