// `npm test`: checks the services the suites need, resolves (or builds) the Temporal CLI and stripe-mock
// once with visible progress, then runs vitest, which starts them (test/global-setup.ts).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { testDatabaseUrl, testRedisUrl } from '../test/helpers/urls';
import { projectRoot, resolveTool, stripeMock, ToolNotFoundError, temporalCli } from './lib/binaries';
import { checkPostgres, checkRedis, PreflightError } from './lib/preflight';

const log = (line: string) => process.stderr.write(`[npm test] ${line}\n`);

async function main(): Promise<number> {
  await checkPostgres(testDatabaseUrl);
  await checkRedis(testRedisUrl);
  const env = {
    ...process.env,
    TEMPORAL_CLI_PATH: resolveTool(temporalCli, log),
    STRIPE_MOCK_PATH: resolveTool(stripeMock, log),
  };
  const vitest = join(projectRoot, 'node_modules', '.bin', 'vitest');
  const run = spawnSync(vitest, ['run', ...process.argv.slice(2)], {
    stdio: 'inherit',
    env,
    cwd: projectRoot,
  });
  return run.status ?? 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof PreflightError || error instanceof ToolNotFoundError) {
      process.stderr.write(`npm test: ${error.message}\n`);
    } else {
      process.stderr.write(`npm test: ${(error as Error).stack ?? error}\n`);
    }
    process.exit(1);
  },
);
