// Owns `npm run bench:flash-sale`: a flash sale through the whole stack, started by the benchmark itself.
// HTTP load -> the API (its own process) -> Temporal (the dev server, or with --temporal server the real
// one on Postgres) -> the worker (its own process) -> Postgres, Redis and stripe-mock behind the payment
// fixture. Phases, all on one Temporal server:
//   1. probe    the floor: minimal workflows (start + one no-op activity + complete), closed loop.
//   2. burst    --burst-buyers holds at the same instant for --burst-seats seats (200 for 40): all answered
//               201 or 409 within the wait budget?
//   3. rush     --buyers race for --seats (--hot-share of them for the front 20% of the seats, shuffled),
//               at most --concurrency holds in flight; every winner confirms at once. Payments are
//               capped by the payment queue's server-side rate limit (--payment-rate), by design.
//   4. steady   checkouts arriving at a fixed rate below what the rush sustained (open loop): the
//               latency a buyer sees at the sustained rate.
//   5. rejects  holds for seats already sold, answered from the seat map without a workflow.
//   6. bare     the same requests against a do-nothing node:http server: this machine's HTTP ceiling.
// CPU time of every component is sampled per phase (/proc), so the report says where the time went.
// Then it checks the invariants in Postgres, the payment fixture and Temporal: sold == seats, nothing
// oversold, one charge per order, no workflow started for a fast rejection.
//
// --observability off (the default) runs the API and the worker without metrics and traces; on, with both
// (metrics scraped every second, spans sent to an OTLP receiver in the benchmark); both runs every phase
// twice, off then on, each on its own API and worker, and reports the two side by side (overhead.ts).
//
// Flags: --seats 2000 --buyers 10000 --concurrency 200 --hot-share 0.8 --burst-seats 40 --burst-buyers 200
//        --payment-rate 20 --probes 500
//        --steady-seconds 15 [--steady-rate N] --rejects 20000 --reject-concurrency 64
//        [--temporal dev|server] [--temporal-shards 4]
//        [--persist] [--sqlite-pragma journal_mode=wal ...] [--dynamic-config KEY=JSON ...]
//        [--worker-options '{"maxCachedWorkflows":2000}'] [--temporal-gomaxprocs 1] --log-level warn
//        [--observability off|on|both] [--profile DIR] --out flash-sale
// --profile DIR: V8 CPU profiles of the API and the worker (node --cpu-prof) and, with Linux perf, samples of
// the whole machine go into DIR; bench/results/<out>-profile.md says where each component's time went.
// --temporal server: go.temporal.io/server (scripts/lib/binaries.ts builds it once) on the run's Postgres,
// --temporal-shards history shards, its databases reset at the start (scripts/lib/temporal-postgres.ts);
// --persist and --sqlite-pragma are the dev server's. Its backends' CPU is `temporal postgres`.
// Env: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/boxoffice_bench_flash),
//      BENCH_REDIS_URL (default redis://127.0.0.1:6379/14),
//      BENCH_TEMPORAL_DB (--temporal server's databases <name> and <name>_visibility, default temporal_bench).
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mintToken } from '../../api/auth';
import { ToolNotFoundError } from '../../scripts/lib/binaries';
import { runCommand } from '../../scripts/lib/command';
import { PreflightError } from '../../scripts/lib/preflight';
import { TemporalPostgresError } from '../../scripts/lib/temporal-postgres';
import { profileReport, startPerf } from '../lib/profile';
import { machineLoad, resultsDir, writeResults } from '../lib/stats';
import { burstPhase } from './burst';
import { brokenInvariants, checkInvariants } from './invariants';
import { parseOptions } from './options';
import { overheadReport, overheadResult } from './overhead';
import { bareHttpCeiling, fastRejections, lateBuyers, probeFloor, rushPhase, steadyPhase } from './phases';
import { flashSaleResult, report } from './report';
import { inTurn, log, type NonEmpty, type Stack, startStacks } from './stack';

async function main() {
  const options = parseOptions();
  const run = randomUUID().slice(0, 8);
  const loadAtStart = machineLoad();
  log(`run ${run}; load average ${loadAtStart.loadavg.join(' ')} on ${loadAtStart.cpus} cpus`);
  if (options.profile) mkdirSync(options.profile, { recursive: true });
  const { stacks, stop } = await startStacks(options, run);
  const perf = options.profile ? startPerf(options.profile, log) : undefined;
  try {
    // Every phase runs on each stack in turn (observability off, then on) before the next one starts.
    const sales = stacks.map((stack) => ({ stack })) as NonEmpty<{ stack: Stack }>;
    const probed = await inTurn(sales, async ({ stack }) => ({ probe: await probeFloor(stack) }));
    const organizer = await mintToken(stacks[0].jwtSecret, `bench-org-${run}`, 'organizer');
    const bursted = await inTurn(probed, async ({ stack }) => ({
      burst: await burstPhase(stack, organizer),
    }));
    const rushed = await inTurn(bursted, async ({ stack }) => ({ rush: await rushPhase(stack, organizer) }));
    // One offered rate for every stack, the first rush's: their latencies compare at the same load.
    const sustained = rushed[0].rush.rush.confirmedPerSecond;
    const steadied = await inTurn(rushed, async ({ stack }) => ({
      steady: await steadyPhase(stack, organizer, sustained),
    }));
    const rejected = await inTurn(steadied, async ({ stack, rush }) => {
      const late = await lateBuyers(stack, rush.rush.eventId);
      return { late, rejects: await fastRejections(stack, late) };
    });
    const bareHttp = await bareHttpCeiling(rejected[0].stack, rejected[0].late);
    const checked = await inTurn(rejected, async ({ stack, rush, steady }) => ({
      invariants: await checkInvariants(stack, rush.rush, steady),
    }));
    const observed = await stacks.find((stack) => stack.observer)?.observer?.observed();

    type Sale = (typeof checked)[number];
    const resultOf = ({ stack, probe, burst, rush, steady, rejects, invariants }: Sale) =>
      flashSaleResult(
        run,
        options.params,
        loadAtStart,
        { probe, burst, rush, steady, rejects, bareHttp },
        invariants,
        {
          setting: stack.observability,
          ...(stack.observer && { observed }),
        },
      );
    // One stack: its results as ever. Both: off and on side by side, each stack's results after.
    const [first, second] = [resultOf(checked[0]), checked[1] && resultOf(checked[1])];
    const results = second ? [first, second] : [first];
    const both = second ? overheadResult(first, second) : undefined;
    const markdown = both ? overheadReport(both) : report(first);
    const paths = writeResults(options.out, both ?? first, markdown);
    process.stdout.write(`\n${markdown}\n`);
    log(`wrote ${paths.json} and ${paths.md}`);
    if (results.some((result) => brokenInvariants(result.targets).length > 0)) process.exitCode = 1;
  } finally {
    await perf?.stop();
    await stop();
  }
  // The V8 profiles are written as the API and the worker stop.
  if (options.profile) {
    const path = join(resultsDir, `${options.out}-profile.md`);
    const header = `# Where the time goes: CPU profiles of run ${run} (\`${options.out}.md\`)\n\nEvery phase of the run, as profiled with --profile (perf over the machine, node --cpu-prof for the Node processes).`;
    writeFileSync(
      path,
      `${header}\n\n${profileReport(options.profile, { bench: process.pid, ...stacks[0].pids })}\n`,
    );
    log(`wrote ${path}`);
  }
}

// A missing tool, a service that does not answer or a server that does not start: one line.
runCommand('flash-sale', main, { expected: [PreflightError, TemporalPostgresError, ToolNotFoundError] });
