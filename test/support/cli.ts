// Owns running the `temporal` CLI the way support does from a terminal, against the suite's server.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { inject } from 'vitest';
import { resolveTool, temporalCli } from '../../scripts/lib/binaries';

const run = promisify(execFile);

/** Runs `temporal <args> --address <test server>` and returns its stdout; a non-zero exit throws. */
export async function temporal(args: string[]): Promise<string> {
  const { stdout } = await run(
    resolveTool(temporalCli),
    [...args, '--address', inject('temporalAddress'), '--color', 'never'],
    { timeout: 30_000, env: { ...process.env, NO_COLOR: '1' } },
  );
  return stdout;
}

/** `temporal workflow list --query <query> -o json`: the workflow ids it lists. */
export async function listIds(query: string): Promise<string[]> {
  const listed = JSON.parse(await temporal(['workflow', 'list', '--query', query, '--output', 'json'])) as {
    execution: { workflowId: string };
  }[];
  return listed.map((row) => row.execution.workflowId).sort();
}
