// Owns running a real Temporal server (go.temporal.io/server) on Postgres beside the stack: fresh
// databases with its schema, its config on free ports, the process under the caller's supervisor, and
// the namespace and Boxoffice's search attributes registered once it answers.
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify, stripVTControlCharacters } from 'node:util';
import type { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { resolveTool, temporalServer, temporalServerVersion, temporalSqlTool } from './binaries';
import { ensureSearchAttributes, waitForTemporal } from './dev-temporal';
import { freePortBelowEphemeral } from './ports';
import { ensureDatabase } from './preflight';
import type { Supervisor } from './processes';
import {
  dynamicConfigYaml,
  type PostgresServer,
  portNames,
  serverConfigYaml,
  type TemporalPorts,
  temporalPostgresDynamicConfig,
  visibilityDatabase,
} from './temporal-postgres-config';

/** An expected failure of starting the server: its message is one line that says what to do. */
export class TemporalPostgresError extends Error {}

export interface TemporalPostgresOptions {
  /** Runs the server: its output is prefixed `temporal`, and its dying is noticed like any child's. */
  supervisor: Supervisor;
  log: (line: string) => void;
  /** The Postgres server to hold the two databases (its database name is ignored). */
  postgresUrl?: string;
  /** The history database's name; visibility goes to `<prefix>_visibility`. */
  databasePrefix: string;
  /**
   * Drop both databases first (default): a benchmark starts from nothing. Without, they are created if
   * missing and their schema brought up to date, and the history persists, as `npm run dev`'s does.
   */
  reset?: boolean;
  shards?: number;
  /**
   * Ports to use instead of free ones: `npm run dev` keeps the frontend on TEMPORAL_ADDRESS's port and
   * the metrics where its Prometheus scrapes. The rest are free, so it never collides with anything.
   */
  ports?: Partial<TemporalPorts>;
  namespace?: string;
  /** `KEY=JSON` settings after the dev server's (temporal-postgres-config.ts); a later one wins. */
  dynamicConfig?: string[];
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** How long the server may take to answer and take the namespace. */
  timeoutMs?: number;
  /** Where its config and log go; default `<tmpdir>/boxoffice-temporal-<prefix>`. */
  dir?: string;
}

export interface TemporalPostgres {
  address: string;
  pid: number | undefined;
  /** What ran, for reports: version, persistence, shards. */
  description: string;
  metricsUrl: string;
  /** The server's JSON log. */
  logFile: string;
  /**
   * Stops the server. Its databases, config and log stay: the next start resets them anyway, and until
   * then what a run left can still be read (psql, the log, or a server started on them by hand).
   */
  teardown(): Promise<void>;
}

/** What ran, for reports and params. */
export function describeTemporalPostgres(shards: number): string {
  return `Temporal server ${temporalServerVersion}, Postgres, ${shards} shards`;
}

const run = promisify(execFile);
const environment = 'boxoffice';

export async function startTemporalPostgres(options: TemporalPostgresOptions): Promise<TemporalPostgres> {
  const { supervisor, log } = options;
  const shards = options.shards ?? 4;
  const namespace = options.namespace ?? 'default';
  // Checked before anything changes: the sql tool puts the names into its statements unquoted.
  if (!/^[a-z_][a-z0-9_]{0,40}$/.test(options.databasePrefix)) {
    throw new TemporalPostgresError(
      `Temporal database prefix ${JSON.stringify(options.databasePrefix)}: use lower-case letters, digits and _`,
    );
  }
  if (!Number.isInteger(shards) || shards < 1) {
    throw new TemporalPostgresError(`Temporal history shards must be a whole number >= 1, got ${shards}`);
  }
  const dynamicConfig = dynamicConfigFile(options.dynamicConfig ?? []);
  const postgres = postgresServer(options.postgresUrl ?? 'postgres://postgres@127.0.0.1:5432/postgres');
  // Resolving may build either with `go install` once (minutes); otherwise one line says how.
  const serverPath = resolveTool(temporalServer, log);
  const sqlToolPath = resolveTool(temporalSqlTool, log);

  const database = options.databasePrefix;
  const reset = options.reset ?? true;
  log(
    `${reset ? 'resetting' : 'preparing'} Temporal's databases ${database} and ${visibilityDatabase(database)}`,
  );
  await Promise.all([
    prepareDatabase(sqlToolPath, postgres, database, 'temporal', reset),
    prepareDatabase(sqlToolPath, postgres, visibilityDatabase(database), 'visibility', reset),
  ]);

  const ports = await choosePorts(options.ports ?? {});
  // Rewritten on every start and kept after: its config and log stay readable.
  const dir = options.dir ?? join(tmpdir(), `boxoffice-temporal-${database}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'config'), { recursive: true });
  const dynamicConfigPath = join(dir, 'config', 'dynamicconfig.yaml');
  const logFile = join(dir, 'server.log');
  writeFileSync(dynamicConfigPath, dynamicConfig);
  writeFileSync(
    join(dir, 'config', `${environment}.yaml`),
    serverConfigYaml({
      postgres,
      database,
      shards,
      ports,
      dynamicConfigFile: dynamicConfigPath,
      // A file, not the supervisor's output: the services log dozens of errors with stack traces while
      // they find each other at start and stop, which would bury everything else.
      logFile,
      logLevel: options.logLevel ?? 'warn',
    }),
  );

  const server = supervisor.start({
    name: 'temporal',
    command: serverPath,
    // No authorizer, like the dev server; the flag only quiets the warning about it.
    args: ['--root', dir, '--config', 'config', '--env', environment, '--allow-no-auth', 'start'],
    cwd: dir,
    stopGraceMs: 15_000,
  });
  const teardown = () => supervisor.stop(server);
  const address = `127.0.0.1:${ports.frontend}`;
  try {
    const timeoutMs = options.timeoutMs ?? 90_000;
    // The server creates temporal-system itself: once it describes it, the frontend and history serve.
    const connection = await supervisor.watch(waitForTemporal(address, 'temporal-system', timeoutMs));
    try {
      await supervisor.watch(registerNamespace(connection, namespace, timeoutMs));
      const added = await ensureSearchAttributes(connection, namespace);
      const attributes = added.length > 0 ? `registered ${added.join(', ')}` : 'all there';
      log(`Temporal server at ${address}: namespace ${namespace}, search attributes ${attributes}`);
    } finally {
      await connection.close();
    }
  } catch (error) {
    await teardown();
    throw new TemporalPostgresError(
      `the Temporal server did not start (${(error as Error).message}); last error in ${logFile}: ${lastLoggedError(logFile)}`,
    );
  }
  return {
    address,
    pid: server.pid,
    description: describeTemporalPostgres(shards),
    metricsUrl: `http://127.0.0.1:${ports.metrics}/metrics`,
    logFile,
    teardown,
  };
}

/** The dynamic config file's text; a malformed setting fails here, before any database is touched. */
function dynamicConfigFile(extra: string[]): string {
  try {
    return dynamicConfigYaml(temporalPostgresDynamicConfig(extra));
  } catch (error) {
    throw new TemporalPostgresError((error as Error).message);
  }
}

function postgresServer(url: string): PostgresServer {
  const parsed = new URL(url);
  if (!['postgres:', 'postgresql:'].includes(parsed.protocol)) {
    throw new TemporalPostgresError(`Temporal's Postgres ${url}: expected a postgres:// URL`);
  }
  return {
    host: parsed.hostname,
    port: Number(parsed.port || 5432),
    user: decodeURIComponent(parsed.username) || 'postgres',
    password: decodeURIComponent(parsed.password),
  };
}

/**
 * Drops and recreates `database` (or creates it if missing), then applies the schema the sql tool carries
 * for its own version (embedded, so a binary from anywhere works without the module's source beside it)
 * as docker-compose's job does: versioning tables at 0.0, then every versioned step not applied yet.
 */
async function prepareDatabase(
  sqlTool: string,
  postgres: PostgresServer,
  database: string,
  schema: 'temporal' | 'visibility',
  reset: boolean,
): Promise<void> {
  const connection = ['--plugin', 'postgres12', '--ep', postgres.host, '--port', String(postgres.port)];
  connection.push('--user', postgres.user, '--password', postgres.password, '--db', database);
  if (!reset) await ensureDatabase(postgresUrlOf(postgres, database));
  const steps = [
    ...(reset ? [['drop-database', '--force'], ['create-database']] : []),
    ['setup-schema', '--version', '0.0'],
    ['update-schema', '--schema-name', `postgresql/v12/${schema}`],
  ];
  for (const step of steps) {
    try {
      await run(sqlTool, [...connection, ...step], { maxBuffer: 16 * 1024 * 1024 });
    } catch (error) {
      throw new TemporalPostgresError(
        `could not ${step[0]} ${database} on ${postgres.host}:${postgres.port}: ${toolError(error)}`,
      );
    }
  }
}

function postgresUrlOf(postgres: PostgresServer, database: string): string {
  const url = new URL(`postgres://${postgres.host}:${postgres.port}/${database}`);
  url.username = postgres.user;
  url.password = postgres.password;
  return url.toString();
}

/** The last error or fatal line of the server's JSON log, as `msg: error`. */
function lastLoggedError(logFile: string): string {
  let text = '';
  try {
    text = readFileSync(logFile, 'utf8');
  } catch {
    return 'none (no log written)';
  }
  for (const line of text.split('\n').reverse()) {
    try {
      const entry = JSON.parse(line) as { level?: string; msg?: string; error?: string };
      if (['error', 'dpanic', 'panic', 'fatal'].includes(entry.level ?? '')) {
        return entry.error ? `${entry.msg}: ${entry.error}` : String(entry.msg);
      }
    } catch {
      // Not a JSON line (a panic's trace); the ones before it may be.
    }
  }
  return 'none';
}

/** The sql tool logs every statement; on failure its error line says what went wrong, as `msg: error`. */
function toolError(error: unknown): string {
  const output = `${(error as { stderr?: string }).stderr ?? ''}${(error as { stdout?: string }).stdout ?? ''}`;
  const lines = stripVTControlCharacters(output)
    .split('\n')
    .filter((line) => line.trim());
  const line = lines.findLast((l) => /\tERROR\t/.test(l)) ?? lines.at(-1);
  if (!line) return (error as Error).message;
  // `<time>\tERROR\t<message>\t{"error": ..., "logging-call-at": ...}`
  const [, , message = line, fields = '{}'] = line.split('\t');
  try {
    const detail = (JSON.parse(fields) as { error?: string }).error;
    return detail ? `${message.replace(/\.$/, '')}: ${detail}` : message;
  } catch {
    return message;
  }
}

/**
 * The given ports, and a distinct free one for each of the rest, below the ephemeral range: the server
 * stores its membership ports in a smallint column, and refuses to start on one above 32767.
 */
async function choosePorts(given: Partial<TemporalPorts>): Promise<TemporalPorts> {
  const taken = new Set(Object.values(given));
  const ports: Partial<TemporalPorts> = { ...given };
  for (const name of portNames) {
    if (ports[name] !== undefined) continue;
    const port = await freePortBelowEphemeral(taken);
    taken.add(port);
    ports[name] = port;
  }
  return ports as TemporalPorts;
}

/**
 * Registers `namespace` and waits until the frontend's namespace cache has it (it refreshes every few
 * seconds): docker-compose's registration job waits the same way, on listing its search attributes.
 */
async function registerNamespace(connection: Connection, namespace: string, timeoutMs: number) {
  try {
    await connection.workflowService.registerNamespace({
      namespace,
      workflowExecutionRetentionPeriod: msToTs('72h'),
    });
  } catch (error) {
    // 6: ALREADY_EXISTS, when the client retried a registration that had gone through.
    if ((error as { code?: number }).code !== 6) throw error;
  }
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await connection.operatorService.listSearchAttributes({ namespace });
      return;
    } catch (error) {
      if (Date.now() > deadline) {
        throw new Error(`namespace ${namespace} was not usable within ${timeoutMs / 1000} s: ${error}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}
