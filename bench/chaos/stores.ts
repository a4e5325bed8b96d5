// Owns the chaos run's own Postgres and Redis: Debian's binaries (initdb, pg_ctl, redis-server) on free
// loopback ports with their data in the run's folder, so they can be crashed and restarted without going
// near the machine's services on 5432 and 6379.
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { accessSync, chownSync, constants, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import pg from 'pg';
import { freePort } from '../../scripts/lib/ports';
import { ManagedProcess, until } from './processes';

/** The folder of Postgres's binaries: PG_BIN, then Debian's /usr/lib/postgresql/<newest>/bin, then PATH. */
export function postgresBinDir(): string {
  const candidates = [process.env.PG_BIN];
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    const versions = readdirSync(debian).sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((version) => join(debian, version, 'bin')));
  }
  candidates.push('/usr/local/bin', '/usr/bin');
  for (const dir of candidates) {
    if (!dir) continue;
    try {
      accessSync(join(dir, 'pg_ctl'), constants.X_OK);
      accessSync(join(dir, 'initdb'), constants.X_OK);
      return dir;
    } catch {
      // not here
    }
  }
  throw new Error('initdb and pg_ctl not found: install PostgreSQL (Debian: postgresql) or set PG_BIN');
}

/** initdb and postgres refuse to run as root: as root, they run as the `postgres` user. */
function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

export interface OwnPostgres {
  url: string;
  port: number;
  /** `pg_ctl stop` in the given mode (immediate = a crash: no checkpoint, recovery on start). */
  stop(mode: 'immediate' | 'fast'): Promise<void>;
  start(): Promise<void>;
  /** Synchronous last resort on process exit. */
  stopNow(): void;
}

export async function startOwnPostgres(dataRoot: string, logDir: string): Promise<OwnPostgres> {
  const bin = postgresBinDir();
  const user = runAs();
  const dataDir = join(dataRoot, 'postgres');
  mkdirSync(dataDir, { recursive: true });
  if (user) {
    chownSync(dataRoot, user.uid, user.gid);
    chownSync(dataDir, user.uid, user.gid);
    chownSync(logDir, user.uid, user.gid);
  }
  // Asynchronous, so the buyers' requests keep flowing while Postgres stops and recovers.
  const run = async (tool: string, args: string[]) => {
    try {
      await promisify(execFile)(join(bin, tool), args, { encoding: 'utf8', ...user, cwd: dataRoot });
    } catch (error) {
      const { stderr, stdout } = error as { stderr?: string; stdout?: string };
      throw new Error(`${tool} ${args.join(' ')} failed: ${stderr || stdout || String(error)}`);
    }
  };
  await run('initdb', ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  const port = await freePort();
  // fsync off: a crash of the server (not of the machine) loses nothing the OS has been given, and
  // synchronous_commit stays on, so a committed transaction survives `pg_ctl stop -m immediate`.
  const serverOptions = [
    `-p ${port}`,
    `-k ${dataDir}`,
    '-c listen_addresses=127.0.0.1',
    '-c fsync=off',
    '-c max_connections=200',
  ].join(' ');
  const url = `postgres://postgres@127.0.0.1:${port}/boxoffice_chaos`;
  const logFile = join(logDir, 'postgres.log');
  const pgCtl = (args: string[]) => run('pg_ctl', ['-D', dataDir, ...args]);
  const start = async () => {
    await pgCtl(['-l', logFile, '-o', serverOptions, '-w', '-t', '60', 'start']);
    await until('Postgres answering', 60_000, async () => {
      const client = new pg.Client({ connectionString: url.replace('/boxoffice_chaos', '/postgres') });
      try {
        await client.connect();
        await client.query('select 1');
        return true;
      } finally {
        await client.end().catch(() => {});
      }
    });
  };
  await start();
  return {
    url,
    port,
    stop: (mode) => pgCtl(['-m', mode, '-w', '-t', '60', 'stop']),
    start,
    stopNow: () => {
      spawnSync(join(bin, 'pg_ctl'), ['-D', dataDir, '-m', 'immediate', 'stop'], {
        ...user,
        stdio: 'ignore',
      });
    },
  };
}

export interface OwnRedis {
  url: string;
  process: ManagedProcess;
}

/** redis-server without persistence: a restart comes back empty, as a lost cache does. */
export async function startOwnRedis(dataRoot: string, logDir: string, log: (line: string) => void) {
  const port = await freePort();
  const dir = join(dataRoot, 'redis');
  mkdirSync(dir, { recursive: true });
  const url = `redis://127.0.0.1:${port}/0`;
  const redisProcess = new ManagedProcess({
    name: 'redis',
    command: process.env.REDIS_SERVER ?? 'redis-server',
    args: ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    logDir,
    log,
    ready: () => until('Redis answering', 30_000, () => ping(url)),
  });
  await redisProcess.start();
  return { url, process: redisProcess } satisfies OwnRedis;
}

async function ping(url: string): Promise<boolean> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => {});
  try {
    await redis.connect();
    return (await redis.ping()) === 'PONG';
  } finally {
    redis.disconnect();
  }
}
