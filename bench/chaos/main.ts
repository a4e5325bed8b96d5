// Owns `npm run chaos`: a flash sale through the whole stack while faults are injected on a schedule
// (worker SIGKILL; restarts of Temporal, Postgres and Redis; the gateway failing, hanging and losing
// answers; Temporal Cancel/Terminate of live reservations), then DESIGN.md's invariants 1-6 and the
// reconciliation report. Prints the table, writes bench/results/<out>.md + .json, exits 1 on any
// violation or discrepancy. Everything runs on 127.0.0.1, on ports and data of its own.
// Flags: see bench/chaos/options.ts (`npm run chaos -- --help`); `--short` is the preset `npm test` runs.
import { writeResults } from '../lib/stats';
import { parseChaosOptions } from './options';
import { chaosMarkdown } from './report';
import { runChaos } from './run';
import { log } from './stack';

async function main() {
  const options = parseChaosOptions();
  const result = await runChaos(options);
  const markdown = chaosMarkdown(result);
  process.stdout.write(`\n${markdown}\n`);
  if (options.out) {
    const paths = writeResults(options.out, result, markdown);
    log(`wrote ${paths.json} and ${paths.md}`);
  }
  if (!result.green) process.exitCode = 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`chaos: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
