// Owns `npm run bench:flash-sale`: a flash sale through the whole stack, started by the benchmark itself.
// HTTP load -> the API (its own process) -> Temporal dev server -> the worker (its own process) ->
// Postgres, Redis and stripe-mock behind the payment fixture. Phases, all on one Temporal server:
//   1. probe    the floor: minimal workflows (start + one no-op activity + complete), closed loop.
//   2. rush     --buyers race for --seats (each seat wanted by buyers/seats of them, in shuffled order),
//               at most --concurrency holds in flight; every winner confirms at once. Payments are
//               capped by the payment queue's server-side rate limit (--payment-rate), by design.
//   3. steady   checkouts arriving at a fixed rate below what the rush sustained (open loop): the
//               latency a buyer sees at the sustained rate.
//   4. rejects  holds for seats already sold, answered from the seat map without a workflow.
//   5. bare     the same requests against a do-nothing node:http server: this machine's HTTP ceiling.
// CPU time of every component is sampled per phase (/proc), so the report says where the time went.
// Then it checks the invariants in Postgres, the payment fixture and Temporal: sold == seats, nothing
// oversold, one charge per order, no workflow started for a fast rejection.
//
// Flags: --seats 200 --buyers 1000 --concurrency 50 --payment-rate 20 --probes 500
//        --steady-seconds 15 [--steady-rate N] --rejects 20000 --reject-concurrency 64
//        [--persist] [--sqlite-pragma journal_mode=wal ...] [--dynamic-config KEY=JSON ...]
//        [--worker-options '{"maxCachedWorkflows":2000}'] [--temporal-gomaxprocs 1] --log-level warn
//        [--profile DIR] --out flash-sale
// --profile writes V8 CPU profiles of the API and the worker (node --cpu-prof) into DIR when they stop.
// Env: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/boxoffice_bench_flash),
//      BENCH_REDIS_URL (default redis://127.0.0.1:6379/14).
import { randomUUID } from 'node:crypto';
import { mintToken } from '../../api/auth';
import { machineLoad, writeResults } from '../lib/stats';
import { brokenInvariants, checkInvariants } from './invariants';
import { parseOptions } from './options';
import { bareHttpCeiling, fastRejections, lateBuyers, probeFloor, rushPhase, steadyPhase } from './phases';
import { flashSaleResult, report } from './report';
import { log, startStack } from './stack';

async function main() {
  const options = parseOptions();
  const run = randomUUID().slice(0, 8);
  const loadAtStart = machineLoad();
  log(`run ${run}; load average ${loadAtStart.loadavg.join(' ')} on ${loadAtStart.cpus} cpus`);
  const stack = await startStack(options, run);
  try {
    const probe = await probeFloor(stack);
    const organizer = await mintToken(stack.jwtSecret, `bench-org-${run}`, 'organizer');
    const rush = await rushPhase(stack, organizer);
    const steady = await steadyPhase(stack, organizer, rush.rush.confirmedPerSecond);
    const late = await lateBuyers(stack, rush.rush.eventId);
    const rejects = await fastRejections(stack, late);
    const bareHttp = await bareHttpCeiling(stack, late);
    const invariants = await checkInvariants(stack, rush.rush, steady);

    const phases = { probe, rush, steady, rejects, bareHttp };
    const result = flashSaleResult(run, options.params, loadAtStart, phases, invariants);
    const markdown = report(result);
    const paths = writeResults(options.out, result, markdown);
    process.stdout.write(`\n${markdown}\n`);
    log(`wrote ${paths.json} and ${paths.md}`);
    if (brokenInvariants(result.targets).length > 0) process.exitCode = 1;
  } finally {
    await stack.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`flash-sale: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
