// Owns the flash sale's results: the record of a run (params, phases, invariants, ratios, targets) as
// bench/results/<out>.json keeps it, and the markdown people read.
import {
  gitCommit,
  type Latency,
  type MachineLoad,
  machineLoad,
  markdownTable,
  perSecond,
} from '../lib/stats';
import { type Invariants, invariantTargets } from './invariants';
import type { Params } from './options';
import type { bareHttpCeiling, fastRejections, probeFloor, rushPhase, steadyPhase } from './phases';

export interface Phases {
  probe: Awaited<ReturnType<typeof probeFloor>>;
  rush: Awaited<ReturnType<typeof rushPhase>>;
  steady: Awaited<ReturnType<typeof steadyPhase>>;
  rejects: Awaited<ReturnType<typeof fastRejections>>;
  bareHttp: Awaited<ReturnType<typeof bareHttpCeiling>>;
}

export type FlashSaleResult = ReturnType<typeof flashSaleResult>;

/** The run's record, with the ratios to its floors and the targets it met. */
export function flashSaleResult(
  run: string,
  params: Params,
  loadAtStart: MachineLoad,
  phases: Phases,
  invariants: Invariants,
) {
  const { probe, steady, rejects, bareHttp } = phases;
  const { rush, holdWindowMs } = phases.rush;
  const loadAtEnd = machineLoad();
  return {
    benchmark: 'flash-sale',
    run,
    generatedAt: new Date().toISOString(),
    commit: gitCommit(),
    environment: {
      cpus: loadAtStart.cpus,
      node: process.version,
      loadAverageAtStart: loadAtStart.loadavg,
      loadAverageAtEnd: loadAtEnd.loadavg,
    },
    params,
    probe,
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
    },
    targets: {
      steadyHoldP99Under200ms: steady.holdLatencyMs.p99 < 200,
      steadyConfirmP99Under2s: steady.confirmLatencyMs.p99 < 2000,
      rejectsAtLeast5000PerSecond: rejects.perSecond >= 5000,
      ...invariantTargets(invariants, rejects),
    },
  };
}

/** The results for people: one table of measures and targets, then where the CPU went. */
export function report(r: FlashSaleResult): string {
  const p = r.params;
  const ms = (l: Latency) => `${l.p50} / ${l.p95} / ${l.p99}`;
  const ok = (pass: boolean) => (pass ? 'yes' : '**no**');
  const inv = r.invariants.rush;
  const names = Object.keys(r.probe.cpuSeconds);
  const phases = [
    ['probe', 'probe workflow', r.probe.workflows],
    ['rush', 'checkout (sold seat)', inv.sold],
    ['steady', 'checkout', r.steady.checkouts],
    ['rejects', 'rejected request', r.rejects.requests],
  ] as const;
  const cpuRows = phases.map(([phase]) => [phase, ...names.map((name) => r[phase].cpuSeconds[name] ?? 0)]);
  const perOpRows = phases.map(([phase, op, count]) => {
    const spent = r[phase].cpuSeconds;
    const perOp = (name: string) => Math.round(((spent[name] ?? 0) * 10_000) / Math.max(count, 1)) / 10;
    const total = names.reduce((sum, name) => sum + (name.includes('machine') ? 0 : perOp(name)), 0);
    return [`${phase} (per ${op})`, ...names.map(perOp), Math.round(total * 10) / 10];
  });
  return [
    '# Flash sale benchmark',
    '',
    `${r.generatedAt} · commit ${r.commit ?? '?'} · ${r.environment.cpus} CPUs (load ` +
      `${r.environment.loadAverageAtStart.join(' ')} at start, ${r.environment.loadAverageAtEnd.join(' ')} at end) · ` +
      `Node ${r.environment.node}`,
    '',
    `${p.seats} seats, ${p.buyers} buyers, ${p.concurrency} holds in flight; payment queue limited to ` +
      `${p.paymentRate}/s. Temporal dev server ${p.persistence}` +
      `${p.sqlitePragmas.length ? ` (pragmas ${p.sqlitePragmas.join(', ')})` : ''}` +
      `${p.dynamicConfig.length ? ` (dynamic config ${p.dynamicConfig.join(', ')})` : ''}` +
      `${p.temporalGomaxprocs ? ` (GOMAXPROCS=${p.temporalGomaxprocs})` : ''}; worker: ${p.worker}` +
      `${Object.keys(p.workerOptions).length ? ` ${JSON.stringify(p.workerOptions)}` : ''}; API: ${p.api}; ` +
      `LOG_LEVEL=${p.logLevel}.`,
    '',
    markdownTable(
      ['measure', 'value', 'target'],
      [
        ['probe workflows/s (floor: start + no-op activity + complete)', r.probe.perSecond, ''],
        ['probe latency p50 / p95 / p99 ms', ms(r.probe.latencyMs), ''],
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
    'CPU seconds per phase (postgres and redis-server count every user of the machine):',
    '',
    markdownTable(['phase', ...names], cpuRows),
    '',
    'CPU milliseconds per operation (total: the benchmark and its own children, without postgres/redis):',
    '',
    markdownTable(['phase', ...names, 'total'], perOpRows),
  ].join('\n');
}
