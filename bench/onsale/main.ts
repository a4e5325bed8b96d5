// Owns `npm run bench:onsale`: the same onsale twice on fresh events, once with the waiting room off and
// once on, through the whole stack the benchmark starts itself (API and worker as processes, the Temporal
// dev server, Postgres, Redis, stripe-mock behind the payment fixture). Prints and writes
// bench/results/<out>.md and .json: latencies, 202s, 5xx, time to sell out, the room's sessions and tau
// over time, fairness (Kendall's tau), bots against humans, and the invariants. Exits 1 when an
// invariant broke.
// Env: BENCH_DATABASE_URL, BENCH_REDIS_URL (as bench:flash-sale).
import { randomUUID } from 'node:crypto';
import { mintToken } from '../../api/auth';
import { describeTemporal, log, startStacks, type TemporalChoice } from '../flash-sale/stack';
import { gitCommit, machineLoad, writeResults } from '../lib/stats';
import { analyse } from './analysis';
import { parseOptions } from './options';
import { invariantsHold, onsaleGoals, report } from './report';
import { runOnsale } from './sale';

async function main() {
  const { params, out } = parseOptions();
  const run = randomUUID().slice(0, 8);
  const loadAtStart = machineLoad();
  const temporal: TemporalChoice = { kind: 'dev', persist: false };
  const { stacks, stop } = await startStacks(
    {
      params: {
        ...params,
        // Sockets to the API: a crowd of this size has thousands of requests in flight at the opening.
        concurrency: 2048,
        observability: 'off',
        workerOptions: {},
        sqlitePragmas: [],
        dynamicConfig: [],
        temporal: describeTemporal(temporal),
        temporalGomaxprocs: undefined,
        processes: 1,
      },
      temporal,
    },
    `onsale-${run}`,
  );
  const [stack] = stacks;
  try {
    const support = await mintToken(stack.jwtSecret, 'bench-support', 'support', '2h');
    const flaggedOf = async (eventId: string) => {
      const answer = await stack.http.call('GET', `/v1/admin/flags?eventId=${eventId}`, { token: support });
      return ((answer.body as { items?: unknown[] })?.items ?? []).length;
    };
    const results = [];
    for (const room of ['off', 'on'] as const) {
      log(
        `onsale with the room ${room}: ${params.buyers} buyers, ${params.bots} bots, ${params.seats} seats`,
      );
      const sale = await runOnsale(stack, params, room);
      results.push(await analyse(stack, params, sale, await flaggedOf(sale.eventId)));
    }
    const [off, on] = results as [(typeof results)[number], (typeof results)[number]];
    const summary = { run, commit: gitCommit(), params, loadavg: loadAtStart.loadavg, off, on };
    const markdown = report(summary);
    const paths = writeResults(out, { ...summary, goals: onsaleGoals(off, on) }, markdown);
    process.stdout.write(`\n${markdown}\n`);
    log(`wrote ${paths.json} and ${paths.md}`);
    if (!invariantsHold(off) || !invariantsHold(on)) process.exitCode = 1;
  } finally {
    await stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`onsale: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
