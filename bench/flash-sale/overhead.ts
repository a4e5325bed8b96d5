// Owns what metrics and traces cost, as one `--observability both` run measured it: the same phases with
// observability off and on, side by side with the ratio on/off of each measure and of the CPU each
// component spent per operation, the spans received, then each stack's full results.
import { markdownTable } from '../lib/stats';
import {
  cpuMsPerOperation,
  type FlashSaleResult,
  observedLines,
  operations,
  report,
  runLines,
} from './report';

/** One measure of both stacks, with on ÷ off (null when off is 0). */
interface SideBySide {
  off: number;
  on: number;
  onToOff: number | null;
}

function sideBySide(off: FlashSaleResult, on: FlashSaleResult, pick: (r: FlashSaleResult) => number) {
  const [a, b] = [pick(off), pick(on)];
  return { off: a, on: b, onToOff: a > 0 ? Math.round((b / a) * 100) / 100 : null } satisfies SideBySide;
}

/** Components whose CPU is Boxoffice's cost (without the load generator and the machine-wide services). */
const ownComponents = ['api', 'worker', 'temporal', 'stripe-mock'];

type Phase = ReturnType<typeof operations>[number][0];

/** CPU ms per operation of a phase for one component, or for `total`: the sum of the own components. */
function cpuPerOperation(r: FlashSaleResult, phase: Phase, name: string): number {
  const count = operations(r).find(([p]) => p === phase)?.[2] ?? 0;
  const names = name === 'total' ? ownComponents : [name];
  const sum = names.reduce((total, own) => total + cpuMsPerOperation(r[phase].cpuSeconds, count, own), 0);
  return Math.round(sum * 10) / 10;
}

/** The run's record: the measures and CPU side by side, and both stacks' own results. */
export function overheadResult(off: FlashSaleResult, on: FlashSaleResult) {
  const measure = (name: string, pick: (r: FlashSaleResult) => number) => ({
    measure: name,
    ...sideBySide(off, on, pick),
  });
  const measures = [
    measure('probe workflows/s', (r) => r.probe.perSecond),
    measure('rush: confirmed checkouts/s', (r) => r.rush.confirmedPerSecond),
    measure('rush: hold answers/s', (r) => r.rush.holdRequestsPerSecond),
    measure('rush: hold p50 ms (all answers)', (r) => r.rush.holdLatencyMs.all.p50),
    measure('rush: hold p99 ms (all answers)', (r) => r.rush.holdLatencyMs.all.p99),
    measure('rush: confirm p99 ms', (r) => r.rush.confirmLatencyMs.p99),
    measure('steady: confirmed checkouts/s (same offered rate)', (r) => r.steady.confirmedPerSecond),
    measure('steady: hold p50 ms', (r) => r.steady.holdLatencyMs.p50),
    measure('steady: hold p99 ms', (r) => r.steady.holdLatencyMs.p99),
    measure('steady: confirm p99 ms', (r) => r.steady.confirmLatencyMs.p99),
    measure('rejects: sold-seat holds answered/s', (r) => r.rejects.perSecond),
    measure('rejects: p99 ms', (r) => r.rejects.latencyMs.p99),
  ];
  const components = [...Object.keys(off.probe.cpuSeconds), 'total'];
  const cpuMsPerOp = operations(off).map(([phase, operation]) => ({
    phase,
    operation,
    components: Object.fromEntries(
      components.map((name) => [name, sideBySide(off, on, (r) => cpuPerOperation(r, phase, name))]),
    ) as Record<string, SideBySide>,
  }));
  return {
    benchmark: 'flash-sale',
    run: off.run,
    generatedAt: on.generatedAt,
    commit: off.commit,
    environment: { ...off.environment, loadAverageAtEnd: on.environment.loadAverageAtEnd },
    params: off.params,
    overhead: { measures, cpuMsPerOperation: cpuMsPerOp, spans: on.observability.observed },
    off,
    on,
  };
}

export type OverheadResult = ReturnType<typeof overheadResult>;

/** For people: the side-by-side tables first, then each stack's own report. */
export function overheadReport(r: OverheadResult): string {
  const cell = (value: number | null) => (value === null ? '—' : value);
  const phases = r.overhead.cpuMsPerOperation;
  const cpuRows = Object.keys(phases[0]?.components ?? {}).map((name) => [
    name,
    ...phases.flatMap(({ components }) => {
      const s = components[name];
      return s ? [s.off, s.on, cell(s.onToOff)] : ['', '', ''];
    }),
  ]);
  return [
    '# Flash sale benchmark: metrics and traces off vs on',
    '',
    ...runLines(r.off),
    '',
    'Every phase ran twice in this one run, observability off and then on, before the next phase began: one ' +
      'Temporal server, gateway and database, and for each setting its own API and worker processes. Off: ' +
      '`METRICS_ENABLED=false` and no `OTEL_EXPORTER_OTLP_ENDPOINT`. On: both processes serve their metrics, ' +
      'scraped every second while a phase runs, and export every span as OTLP/protobuf to a receiver in the ' +
      'benchmark that counts them. Both steady phases are offered the rate the first (off) rush sustained.',
    '',
    markdownTable(
      ['measure', 'off', 'on', 'on ÷ off'],
      r.overhead.measures.map((m) => [m.measure, m.off, m.on, cell(m.onToOff)]),
    ),
    '',
    'CPU milliseconds per operation, by component (total: api + worker + temporal + stripe-mock; bench is ' +
      'the load generator, and with observability on also the scraper and the OTLP receiver; postgres and ' +
      'redis-server count every user of the machine):',
    '',
    markdownTable(
      [
        'component',
        ...phases.flatMap(({ phase, operation }) => [`${phase}: per ${operation}, off`, 'on', 'on ÷ off']),
      ],
      cpuRows,
    ),
    ...observedLines(r.on),
    '',
    report(r.off, '## Observability off: every measure'),
    '',
    report(r.on, '## Observability on: every measure'),
  ].join('\n');
}
