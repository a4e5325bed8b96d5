// Owns the onsale benchmark's report: both runs side by side, the goals of the room with yes/no, the
// room's sessions and tau over time as small charts, and the run's params.
import { markdownTable } from '../lib/stats';
import type { OnsaleResult } from './analysis';
import type { OnsaleParams } from './options';

export function onsaleGoals(off: OnsaleResult, on: OnsaleResult) {
  const soldOutRatio =
    off.soldOutSeconds && on.soldOutSeconds
      ? Math.round((on.soldOutSeconds / off.soldOutSeconds) * 100) / 100
      : null;
  const goal = (measure: string, figure: string | number | null, target: string, met: boolean) => ({
    measure,
    figure: figure ?? 'n/a',
    target,
    met,
  });
  return [
    goal('holds answered 201/409, p99 (ms)', on.holds.p99, '< 300', on.holds.p99 < 300),
    goal('holds answered 202', on.holds202, '0', on.holds202 === 0),
    goal('confirms answered 200, p99 (ms)', on.confirms.p99, '< 1000', on.confirms.p99 < 1000),
    goal('confirms not answered 200', on.confirmsNot200, '0', on.confirmsNot200 === 0),
    goal('5xx answers', on.serverErrors, '0', on.serverErrors === 0),
    goal(
      'sold out: room on ÷ room off',
      soldOutRatio,
      '<= 1.2',
      soldOutRatio !== null && soldOutRatio <= 1.2,
    ),
    goal(
      'Kendall tau, join vs admission, post-open joiners',
      on.fairness.postOpenKendall,
      '>= 0.5',
      on.fairness.postOpenKendall >= 0.5,
    ),
    goal(
      'Kendall tau, pre-queue joiners',
      on.fairness.preQueueKendall,
      '|tau| < 0.05',
      Math.abs(on.fairness.preQueueKendall) < 0.05,
    ),
    goal(
      'bots admitted per bot ÷ humans admitted per human',
      `${on.bots.admittedPerPerson} vs ${on.bots.humansAdmittedPerPerson}`,
      '<=',
      on.bots.admittedPerPerson <= on.bots.humansAdmittedPerPerson,
    ),
    goal(
      'invariants: 0 oversold, sold == seats, one charge per order',
      `${on.invariants.oversoldSeats} / ${on.invariants.sold} of ${on.invariants.expectedSold} / ${on.invariants.doubleCharged} double`,
      'all',
      invariantsHold(on) && invariantsHold(off),
    ),
  ];
}

export function invariantsHold(result: OnsaleResult): boolean {
  const i = result.invariants;
  return (
    i.oversoldSeats === 0 &&
    i.sold === i.expectedSold &&
    i.doubleCharged === 0 &&
    i.soldWithoutTicket === 0 &&
    i.succeededIntents === i.orders
  );
}

/** A mermaid line chart of one series over the run, at most 40 points. */
function chart(title: string, axis: string, points: { at: number; value: number }[]): string {
  if (points.length === 0) return `_${title}: no samples_`;
  const step = Math.max(1, Math.ceil(points.length / 40));
  const kept = points.filter((_, i) => i % step === 0);
  return [
    '```mermaid',
    'xychart-beta',
    `  title "${title}"`,
    `  x-axis "seconds since the run started" [${kept.map((p) => Math.round(p.at / 1000)).join(', ')}]`,
    `  y-axis "${axis}"`,
    `  line [${kept.map((p) => Math.round(p.value * 10) / 10).join(', ')}]`,
    '```',
  ].join('\n');
}

export function report(results: {
  run: string;
  commit?: string;
  params: OnsaleParams;
  off: OnsaleResult;
  on: OnsaleResult;
  loadavg: number[];
}): string {
  const { off, on } = results;
  const goals = onsaleGoals(off, on);
  const row = (name: string, pick: (r: OnsaleResult) => string | number | null) => [
    name,
    pick(off) ?? 'n/a',
    pick(on) ?? 'n/a',
  ];
  const lines = [
    `# bench:onsale (${results.commit ?? 'uncommitted'}, run ${results.run})`,
    '',
    `The same onsale twice on fresh events, room off then on: ${results.params.buyers} buyers arriving over ` +
      `${results.params.arriveSeconds} s (${results.params.preQueue} before salesOpenAt), ${results.params.seats} seats ` +
      `(80% of buyers want the front fifth), each buyer holds 1-4 seats and pays; ${results.params.bots} bots ignore ` +
      `every backoff with ${results.params.botTokens} queue tokens each. Load average at the start: ${results.loadavg.join(' ')}.`,
    '',
    '## Goals (room on)',
    '',
    markdownTable(
      ['measure', 'figure', 'goal', 'met'],
      goals.map((g) => [g.measure, g.figure, g.target, g.met ? 'yes' : 'NO']),
    ),
    '',
    '## Both runs',
    '',
    markdownTable(
      ['', 'room off', 'room on'],
      [
        row('hold p50 / p99 (ms, 201 and 409)', (r) => `${r.holds.p50} / ${r.holds.p99}`),
        row('holds made', (r) => r.holdsTotal),
        row('hold answers', (r) => JSON.stringify(r.holdAnswers)),
        row('holds answered 202 first', (r) => r.holds202),
        row('confirm p50 / p99 (ms)', (r) => `${r.confirms.p50} / ${r.confirms.p99}`),
        row('confirm answers', (r) => JSON.stringify(r.confirmAnswers)),
        row('5xx answers', (r) => r.serverErrors),
        row('sold out after (s from salesOpenAt)', (r) => r.soldOutSeconds),
        row('sold / seats', (r) => `${r.invariants.sold} / ${r.invariants.expectedSold}`),
        row(
          'oversold seats, double charges',
          (r) => `${r.invariants.oversoldSeats}, ${r.invariants.doubleCharged}`,
        ),
        row(
          'orders, succeeded payment intents',
          (r) => `${r.invariants.orders}, ${r.invariants.succeededIntents}`,
        ),
        row('buyer outcomes', (r) => JSON.stringify(r.outcomes)),
        row('humans who bought, per human', (r) => r.bots.humansBoughtPerPerson),
        row('bots who bought, per bot', (r) => r.bots.botsBoughtPerPerson),
      ],
    ),
    '',
    '## The room',
    '',
    markdownTable(
      ['', 'room on'],
      [
        [
          'admitted: pre-queue / post-open humans',
          `${on.fairness.admittedPreQueue} / ${on.fairness.admittedPostOpen}`,
        ],
        ['Kendall tau post-open (1 = FIFO)', on.fairness.postOpenKendall],
        ['Kendall tau pre-queue (0 = lottery)', on.fairness.preQueueKendall],
        ['admission attempts per admitted human', on.bots.humanAttemptsPerAdmission],
        [
          'bots: admitted / attempts / flagged subjects',
          `${on.bots.admitted} / ${on.bots.attempts} / ${on.bots.flagged}`,
        ],
        [
          'admitted per person: bots vs humans',
          `${on.bots.admittedPerPerson} vs ${on.bots.humansAdmittedPerPerson}`,
        ],
      ],
    ),
    '',
    chart(
      'Room on: active sessions',
      'sessions',
      on.samples.map((s) => ({ at: s.at, value: s.activeSessions })),
    ),
    '',
    chart(
      'Room on: tau (s)',
      'tau',
      on.samples.flatMap((s) => (s.tau === null ? [] : [{ at: s.at, value: s.tau }])),
    ),
    '',
    '## Params',
    '',
    '```json',
    JSON.stringify(results.params, null, 2),
    '```',
  ];
  return lines.join('\n');
}
