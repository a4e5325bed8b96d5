// Owns the flash sale's results: the record of a run (params, phases, invariants, ratios, targets) as
// bench/results/<out>.json keeps it, and the markdown people read. (overhead.ts sets two side by side.)
import {
  gitCommit,
  type Latency,
  type MachineLoad,
  markdownTable,
  perSecond,
  runEnvironment,
} from '../lib/stats';
import type { burstPhase } from './burst';
import { type Invariants, invariantTargets } from './invariants';
import type { Observability, Observed } from './observability';
import type { Params } from './options';
import type { bareHttpCeiling, fastRejections, probeFloor, rushPhase, steadyPhase } from './phases';

export interface Phases {
  probe: Awaited<ReturnType<typeof probeFloor>>;
  burst: Awaited<ReturnType<typeof burstPhase>>;
  rush: Awaited<ReturnType<typeof rushPhase>>;
  steady: Awaited<ReturnType<typeof steadyPhase>>;
  rejects: Awaited<ReturnType<typeof fastRejections>>;
  bareHttp: Awaited<ReturnType<typeof bareHttpCeiling>>;
}

export type FlashSaleResult = ReturnType<typeof flashSaleResult>;

/** Whether this stack ran with metrics and traces, and what its observer saw when it did. */
export interface ObservabilityRecord {
  setting: Observability;
  observed?: Observed;
}

/** The run's record (of one stack), with the ratios to its floors and the targets it met. */
export function flashSaleResult(
  run: string,
  params: Params,
  loadAtStart: MachineLoad,
  phases: Phases,
  invariants: Invariants,
  observability: ObservabilityRecord,
) {
  const { probe, burst, steady, rejects, bareHttp } = phases;
  const { rush, holdWindowMs } = phases.rush;
  const cpuPerOp = (cpuSeconds: Record<string, number>, count: number) =>
    Object.keys(cpuSeconds)
      .filter((name) => !name.includes('machine'))
      .reduce((sum, name) => sum + cpuMsPerOperation(cpuSeconds, count, name), 0);
  const cpuPerCheckoutToProbe =
    Math.round(
      (cpuPerOp(rush.cpuSeconds, Math.max(rush.winners, 1)) / cpuPerOp(probe.cpuSeconds, probe.workflows)) *
        100,
    ) / 100;
  return {
    benchmark: 'flash-sale',
    run,
    generatedAt: new Date().toISOString(),
    commit: gitCommit(),
    environment: runEnvironment(loadAtStart),
    params,
    observability,
    probe,
    burst,
    rush,
    steady,
    rejects,
    bareHttp,
    invariants,
    ratios: {
      holdsGrantedToProbe: Math.round((rush.holdsGrantedPerSecond / probe.perSecond) * 100) / 100,
      workflowsToProbe:
        Math.round((perSecond(rush.workflowsStarted, holdWindowMs) / probe.perSecond) * 100) / 100,
      checkoutsToProbe: Math.round((rush.confirmedPerSecond / probe.perSecond) * 100) / 100,
      rejectsToBareHttp: Math.round((rejects.perSecond / bareHttp.perSecond) * 100) / 100,
      cpuPerCheckoutToProbe,
    },
    /** Issue 10's goals, each measured in this run. */
    goals: {
      checkoutsToProbeAtLeast06: rush.confirmedPerSecond / probe.perSecond >= 0.6,
      cpuPerCheckoutToProbeAtMost17: cpuPerCheckoutToProbe <= 1.7,
      rejectsToBareHttpAtLeast05: rejects.perSecond / bareHttp.perSecond >= 0.5,
      burstAllDecidedP99Under1s: burst.decidedAtOnce === burst.buyers && burst.latencyMs.p99 < 1000,
      rushNo202: rush.holdsAnswered202 === 0,
      rushWinnersHoldP99Under1s: rush.holdLatencyMs.granted.p99 < 1000,
      rushWinnersConfirmedWithinBudget: rush.winnersConfirmedWithinBudget === rush.winners,
    },
    targets: {
      steadyHoldP99Under200ms: steady.holdLatencyMs.p99 < 200,
      steadyConfirmP99Under2s: steady.confirmLatencyMs.p99 < 2000,
      rejectsAtLeast5000PerSecond: rejects.perSecond >= 5000,
      ...invariantTargets(invariants, rejects),
    },
  };
}

/** The measured phases, what one operation of each is, and how many there were. */
export function operations(r: FlashSaleResult) {
  return [
    ['probe', 'probe workflow', r.probe.workflows],
    ['rush', 'checkout (sold seat)', r.invariants.rush.sold],
    ['steady', 'checkout', r.steady.checkouts],
    ['rejects', 'rejected request', r.rejects.requests],
  ] as const;
}

/** CPU milliseconds per operation of a phase, per component, to 0.1 ms. */
export function cpuMsPerOperation(cpuSeconds: Record<string, number>, count: number, name: string): number {
  return Math.round(((cpuSeconds[name] ?? 0) * 10_000) / Math.max(count, 1)) / 10;
}

/** When, where and on what the run ran: its first lines. */
export function runLines(r: FlashSaleResult): string[] {
  const p = r.params;
  return [
    `${r.generatedAt} · commit ${r.commit ?? '?'} · ${r.environment.cpus} CPUs (load ` +
      `${r.environment.loadAverageAtStart.join(' ')} at start, ${r.environment.loadAverageAtEnd.join(' ')} at end) · ` +
      `Node ${r.environment.node}`,
    '',
    `${p.seats} seats, ${p.buyers} buyers, ${p.concurrency} holds in flight; payment queue limited to ` +
      `${p.paymentRate}/s. Temporal: ${p.temporal}` +
      `${p.sqlitePragmas.length ? ` (pragmas ${p.sqlitePragmas.join(', ')})` : ''}` +
      `${p.dynamicConfig.length ? ` (dynamic config ${p.dynamicConfig.join(', ')})` : ''}` +
      `${p.temporalGomaxprocs ? ` (GOMAXPROCS=${p.temporalGomaxprocs})` : ''}; worker: ${p.worker}` +
      `${Object.keys(p.workerOptions).length ? ` ${JSON.stringify(p.workerOptions)}` : ''}; API: ${p.api}; ` +
      `LOG_LEVEL=${p.logLevel}.`,
  ];
}

/** The results for people: one table of measures and targets, then where the CPU went. */
export function report(r: FlashSaleResult, heading = '# Flash sale benchmark'): string {
  const p = r.params;
  const ms = (l: Latency) => `${l.p50} / ${l.p95} / ${l.p99}`;
  const ok = (pass: boolean) => (pass ? 'yes' : '**no**');
  const inv = r.invariants.rush;
  const names = Object.keys(r.probe.cpuSeconds);
  const phases = operations(r);
  const cpuRows = phases.map(([phase]) => [phase, ...names.map((name) => r[phase].cpuSeconds[name] ?? 0)]);
  const perOpRows = phases.map(([phase, op, count]) => {
    const perOp = (name: string) => cpuMsPerOperation(r[phase].cpuSeconds, count, name);
    const total = names.reduce((sum, name) => sum + (name.includes('machine') ? 0 : perOp(name)), 0);
    return [`${phase} (per ${op})`, ...names.map(perOp), Math.round(total * 10) / 10];
  });
  return [
    heading,
    '',
    ...runLines(r),
    '',
    r.observability.setting === 'on'
      ? 'Metrics and traces on: both /metrics scraped every second while a phase runs, spans sent to an OTLP receiver.'
      : 'Metrics and traces off (METRICS_ENABLED=false, no OTEL_EXPORTER_OTLP_ENDPOINT).',
    '',
    "Issue 10's goals, measured in this run:",
    '',
    markdownTable(
      ['measure', 'value', 'goal', 'met'],
      [
        [
          'checkouts/s ÷ probe workflows/s',
          r.ratios.checkoutsToProbe,
          '≥ 0.6',
          ok(r.goals.checkoutsToProbeAtLeast06),
        ],
        [
          'CPU per checkout ÷ CPU per probe workflow',
          r.ratios.cpuPerCheckoutToProbe,
          '≤ 1.7',
          ok(r.goals.cpuPerCheckoutToProbeAtMost17),
        ],
        [
          'rejects/s ÷ bare node:http 409s/s',
          r.ratios.rejectsToBareHttp,
          '≥ 0.5',
          ok(r.goals.rejectsToBareHttpAtLeast05),
        ],
        [
          `${r.burst.buyers} simultaneous holds for ${r.burst.seats} seats: 201 or 409 within the budget, p99 ms`,
          `${r.burst.decidedAtOnce} of ${r.burst.buyers}, p99 ${r.burst.latencyMs.p99}`,
          `${r.burst.buyers} of ${r.burst.buyers}, p99 < 1000`,
          ok(r.goals.burstAllDecidedP99Under1s),
        ],
        [
          `${p.buyers} buyers / ${p.concurrency} in flight / ${p.seats} seats: holds answered 202`,
          r.rush.holdsAnswered202,
          '0',
          ok(r.goals.rushNo202),
        ],
        [
          "same run: winners' hold p99 ms",
          r.rush.holdLatencyMs.granted.p99,
          '< 1000',
          ok(r.goals.rushWinnersHoldP99Under1s),
        ],
        [
          "same run: winners' confirms answered 200 within the budget (no 202; 503 + Retry-After allowed)",
          `${r.rush.winnersConfirmedWithinBudget} of ${r.rush.winners} (${r.rush.confirmedPerSecond}/s; ${r.rush.confirmsRefusedAtOnce503} first told 503)`,
          `all, at the payment limit (${p.paymentRate}/s)`,
          ok(r.goals.rushWinnersConfirmedWithinBudget),
        ],
      ],
    ),
    '',
    markdownTable(
      ['measure', 'value', 'target'],
      [
        ['probe workflows/s (floor: start + no-op activity + complete)', r.probe.perSecond, ''],
        ['probe latency p50 / p95 / p99 ms', ms(r.probe.latencyMs), ''],
        [`burst: first answers`, JSON.stringify(r.burst.firstAnswers), ''],
        ['burst: hold p50 / p95 / p99 ms', ms(r.burst.latencyMs), ''],
        ['rush: hold answers/s (201 + 409)', r.rush.holdRequestsPerSecond, ''],
        ['rush: holds granted/s', r.rush.holdsGrantedPerSecond, ''],
        ['rush: hold p50 / p95 / p99 ms (all answers)', ms(r.rush.holdLatencyMs.all), ''],
        ['rush: hold p50 / p95 / p99 ms (granted, via workflow)', ms(r.rush.holdLatencyMs.granted), ''],
        [
          'rush: confirmed checkouts/s',
          r.rush.confirmedPerSecond,
          r.rush.confirmedPerSecond >= 0.8 * p.paymentRate
            ? `at the payment limit (${p.paymentRate}/s)`
            : `below the payment limit (${p.paymentRate}/s): the pipeline is the bound`,
        ],
        ['rush: confirm p50 / p95 / p99 ms (queued in the rush)', ms(r.rush.confirmLatencyMs), ''],
        ['rush: 409 rate', r.rush.conflictRate, ''],
        ['rush: fast-rejected share of 409s (no workflow)', r.rush.fastRejectedShareOfConflicts, ''],
        ['rush: fast-rejected share of all holds', r.rush.fastRejectedShareOfRequests, ''],
        ['rush: workflows started', r.rush.workflowsStarted, ''],
        ['holds granted/s ÷ probe/s', r.ratios.holdsGrantedToProbe, ''],
        ['reservation workflows started/s ÷ probe/s', r.ratios.workflowsToProbe, ''],
        ['checkouts/s ÷ probe/s', r.ratios.checkoutsToProbe, ''],
        [`steady: offered checkouts/s`, r.steady.offeredPerSecond, ''],
        [
          'steady: hold p50 / p95 / p99 ms',
          ms(r.steady.holdLatencyMs),
          `p99 < 200: ${ok(r.targets.steadyHoldP99Under200ms)}`,
        ],
        [
          'steady: confirm p50 / p95 / p99 ms',
          ms(r.steady.confirmLatencyMs),
          `p99 < 2000: ${ok(r.targets.steadyConfirmP99Under2s)}`,
        ],
        [
          'rejects: sold-seat holds answered/s',
          r.rejects.perSecond,
          `≥ 5000: ${ok(r.targets.rejectsAtLeast5000PerSecond)}`,
        ],
        ['rejects: p50 / p95 / p99 ms', ms(r.rejects.latencyMs), ''],
        ['bare node:http 409s/s, same client (machine ceiling)', r.bareHttp.perSecond, ''],
        ['rejects/s ÷ bare HTTP/s', r.ratios.rejectsToBareHttp, ''],
        [
          'rejects: workflows started',
          r.rejects.workflowsStarted,
          `0: ${ok(r.targets.noWorkflowForRejects)}`,
        ],
        ['sold / seats', `${inv.sold} / ${inv.expectedSold}`, ok(r.targets.soldEqualsSeats)],
        ['oversold seats', inv.oversoldSeats, `0: ${ok(r.targets.oversoldZero)}`],
        [
          'succeeded charges (gateway / audit) / double-charged',
          `${r.invariants.gateway.rushSucceededPaymentIntents} / ${inv.succeededPayments} / ${inv.doubleCharged}`,
          ok(r.targets.oneChargePerOrder),
        ],
      ],
    ),
    '',
    `Rush holds: ${JSON.stringify(r.rush.holdStatuses)} (${r.rush.holdsRetriedAfter202} re-sent after a 202). ` +
      `Rush confirms: ${JSON.stringify(r.rush.confirmStatuses)} (${r.rush.confirmsRetriedAfter202} re-sent after ` +
      `a 202, ${r.rush.confirmsPaidAgainAfterTimeout} paid again after a 402 PAYMENT_FAILED). ` +
      `Rejects: ${JSON.stringify(r.rejects.statuses)}.`,
    '',
    `History of one confirmed checkout in the rush: ${JSON.stringify(r.rush.histories.checkout)}; in the ` +
      `steady phase: ${JSON.stringify(r.steady.history)}; of one probe: ${JSON.stringify(r.rush.histories.probe)}.`,
    '',
    `CPU seconds per phase (postgres and redis-server count every user of the machine${
      names.includes('temporal postgres')
        ? "; temporal postgres: the real Temporal server's own backends, its persistence, not in postgres"
        : ''
    }):`,
    '',
    markdownTable(['phase', ...names], cpuRows),
    '',
    'CPU milliseconds per operation (total: the benchmark and its own children, without postgres/redis (machine)):',
    '',
    markdownTable(['phase', ...names, 'total'], perOpRows),
    ...observedLines(r),
  ].join('\n');
}

/** With observability on: the spans received, per phase and per operation, and how the scrapes went. */
export function observedLines(r: FlashSaleResult): string[] {
  const observed = r.observability.observed;
  if (!observed) return [];
  const services = [
    ...new Set(Object.values(observed.spans).flatMap((counts) => Object.keys(counts))),
  ].filter((name) => name !== 'total');
  const ops = new Map(operations(r).map(([phase, op, count]) => [phase as string, { op, count }]));
  const phases = [...ops.keys(), 'bare HTTP', 'outside phases'].filter((phase) => observed.spans[phase]);
  const rows = phases.map((phase) => {
    const counts = observed.spans[phase] ?? {};
    const op = ops.get(phase);
    const perOp = op
      ? `${Math.round(((counts.total ?? 0) * 10) / Math.max(op.count, 1)) / 10} per ${op.op}`
      : '';
    return [phase, ...services.map((service) => counts[service] ?? 0), counts.total ?? 0, perOp];
  });
  const scrapes = Object.entries(observed.scrapes).map(
    ([name, s]) =>
      `${name}: ${s.ok} answered, ${s.failed} failed, ${Math.round(s.bytes / Math.max(s.ok, 1) / 1024)} KiB each`,
  );
  return [
    '',
    `Spans received by the benchmark's OTLP receiver (${observed.spansTotal} in all), by the phase they ended in:`,
    '',
    markdownTable(['phase', ...services, 'total', 'per operation'], rows),
    '',
    `Scraped by ${observed.scraper}. ${scrapes.join('; ')}.`,
  ];
}
