// Owns finding the Go-built tools Boxoffice runs beside itself (Temporal CLI, stripe-mock, and for
// `--temporal server` the Temporal server and its SQL schema tool) without a
// browser or binary download: env override, PATH, project cache, then `go install` into that cache.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, mkdirSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';

export const projectRoot = resolve(import.meta.dirname, '..', '..');
export const binCacheDir = join(projectRoot, '.cache', 'bin');

export interface Tool {
  /** Executable name. */
  name: string;
  /** Environment variable that points at an explicit executable. */
  envVar: string;
  /** `go install` target, pinned. */
  goPackage: string;
  /**
   * The file `go install` writes into the cache (its package's last path element), when it is not
   * `name`. Only the cache is searched for it: a generic name such as `server` on PATH may be anything.
   */
  installedAs?: string;
}

export const temporalCli: Tool = {
  name: 'temporal',
  envVar: 'TEMPORAL_CLI_PATH',
  // v1.5.1 is the newest release `go install` can build: later ones carry a `replace` directive.
  goPackage: 'github.com/temporalio/cli/cmd/temporal@v1.5.1',
};

export const stripeMock: Tool = {
  name: 'stripe-mock',
  envVar: 'STRIPE_MOCK_PATH',
  goPackage: 'github.com/stripe/stripe-mock@v0.203.0',
};

// The server's own module, not the CLI's dev server: Postgres persistence and several history shards, the
// shape docker-compose runs (scripts/lib/temporal-postgres.ts). v1.29.1 builds with this machine's Go.
export const temporalServerVersion = 'v1.29.1';

export const temporalServer: Tool = {
  name: 'temporal-server',
  envVar: 'TEMPORAL_SERVER_PATH',
  goPackage: `go.temporal.io/server/cmd/server@${temporalServerVersion}`,
  installedAs: 'server',
};

/** Creates the server's databases and applies its schema (the `temporal-sql-tool` of its releases). */
export const temporalSqlTool: Tool = {
  name: 'temporal-sql-tool',
  envVar: 'TEMPORAL_SQL_TOOL_PATH',
  goPackage: `go.temporal.io/server/cmd/tools/sql@${temporalServerVersion}`,
  installedAs: 'sql',
};

export class ToolNotFoundError extends Error {}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The executable `name` on PATH, if any. */
export function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && isExecutable(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/**
 * Returns the path of `tool`, building it with `go install` into the project cache when needed.
 * Throws ToolNotFoundError with one actionable sentence when nothing works.
 */
export function resolveTool(tool: Tool, log: (line: string) => void = () => {}): string {
  const explicit = process.env[tool.envVar];
  if (explicit) {
    if (isExecutable(explicit)) return explicit;
    throw new ToolNotFoundError(`${tool.envVar}=${explicit} is not an executable file`);
  }
  const fromPath = onPath(tool.name);
  if (fromPath) return fromPath;
  const cached = join(binCacheDir, tool.installedAs ?? tool.name);
  if (isExecutable(cached)) return cached;

  const go = onPath('go') ?? (isExecutable('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined);
  if (!go) {
    throw new ToolNotFoundError(
      `${tool.name} not found: set ${tool.envVar}, put it on PATH, or install Go (>= 1.22) so it can be built with 'go install ${tool.goPackage}'`,
    );
  }
  mkdirSync(binCacheDir, { recursive: true });
  log(`building ${tool.name} with 'go install ${tool.goPackage}' (once; cached in .cache/bin)`);
  const build = spawnSync(go, ['install', tool.goPackage], {
    env: { ...process.env, GOBIN: binCacheDir, GOFLAGS: '-mod=mod' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (build.status !== 0 || !isExecutable(cached)) {
    throw new ToolNotFoundError(
      `could not build ${tool.name}: 'go install ${tool.goPackage}' exited ${build.status}; set ${tool.envVar} to an existing binary instead`,
    );
  }
  return cached;
}
