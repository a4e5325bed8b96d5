// `npm run fuzz -- [--per-op <n>] [--seed <n>]`: the API fuzzer (test/api/fuzz.test.ts) with more requests
// per operation than `npm test` sends (200), through `npm test`'s checks and services; --seed replays a
// run that found something (fast-check prints its seed).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { projectRoot } from './lib/binaries';
import { commandFlags, usageError } from './lib/command';

const usage = 'usage: npm run fuzz -- [--per-op <requests per operation, default 5000>] [--seed <n>]\n';

const fail = (message: string) => usageError('fuzz', usage, message);
const values = commandFlags('fuzz', usage, { 'per-op': { type: 'string' }, seed: { type: 'string' } });
const perOperation = values['per-op'] ?? '5000';
if (!/^[1-9]\d{0,6}$/.test(perOperation)) fail(`--per-op ${perOperation} is not a count from 1 to 9999999`);
if (values.seed !== undefined && !/^-?\d{1,10}$/.test(values.seed))
  fail(`--seed ${values.seed} is not an integer`);

const run = spawnSync(
  join(projectRoot, 'node_modules', '.bin', 'tsx'),
  ['scripts/test.ts', 'test/api/fuzz.test.ts'],
  {
    stdio: 'inherit',
    cwd: projectRoot,
    env: {
      ...process.env,
      FUZZ_PER_OP: perOperation,
      ...(values.seed !== undefined && { FUZZ_SEED: values.seed }),
    },
  },
);
process.exit(run.status ?? 1);
