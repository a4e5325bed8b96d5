// Owns the start-up checks for the services Boxoffice needs but does not start itself: each failure is
// one line that says what is missing and how to start it.

import { Redis } from 'ioredis';
import pg from 'pg';

export class PreflightError extends Error {}

function describe(url: string): string {
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port || (parsed.protocol.startsWith('redis') ? 6379 : 5432)}`;
}

export async function checkPostgres(databaseUrl: string): Promise<void> {
  const admin = new URL(databaseUrl);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString(), connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
  } catch (error) {
    throw new PreflightError(
      `Postgres is not answering at ${describe(databaseUrl)} (${(error as Error).message}): start it (e.g. 'pg_ctlcluster 15 main start' or 'docker compose up -d postgres') or set DATABASE_URL`,
    );
  } finally {
    await client.end().catch(() => {});
  }
}

export async function checkRedis(redisUrl: string): Promise<void> {
  const redis = new Redis(redisUrl, {
    lazyConnect: true,
    connectTimeout: 2000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  redis.on('error', () => {});
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    throw new PreflightError(
      `Redis is not answering at ${describe(redisUrl)} (${(error as Error).message}): start it (e.g. 'redis-server --daemonize yes' or 'docker compose up -d redis') or set REDIS_URL`,
    );
  } finally {
    redis.disconnect();
  }
}

/** Creates the database named in `databaseUrl` if it does not exist yet. */
export async function ensureDatabase(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.slice(1));
  url.pathname = '/postgres';
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (rowCount === 0) {
      // Identifiers can't be parameters; quote it the way Postgres does.
      await client
        .query(`create database ${client.escapeIdentifier(name)}`)
        .catch((error: { code?: string }) => {
          if (error.code !== '42P04') throw error; // created concurrently by another runner
        });
    }
  } finally {
    await client.end();
  }
}
