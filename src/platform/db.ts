// Owns the Postgres connection pool and the transaction helper every table module uses.
import pg from 'pg';
import { activeTelemetry } from './telemetry';
import { tracedPool } from './traced-clients';

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;

/**
 * Anything that runs a query: a pool for a standalone statement, a client inside a transaction, so a
 * store's function can run alone or join its caller's transaction.
 */
export type Queryable = Pool | PoolClient;

/** Postgres error codes we branch on, by name. */
export const pgErrorCodes = {
  uniqueViolation: '23505',
  serializationFailure: '40001',
  deadlockDetected: '40P01',
  invalidTextRepresentation: '22P02',
} as const;

// bigint counts come back as strings by default; ours fit in a JS number.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number.parseInt(value, 10));

export function createPool(connectionString: string, max = 20): Pool {
  const options = { connectionString, max, connectionTimeoutMillis: 5000 };
  // While this process traces, each query is a span under its caller's (src/platform/traced-clients.ts).
  const tracer = activeTelemetry()?.tracer;
  const pool = tracer ? tracedPool(tracer, options) : new pg.Pool(options);
  // An idle client losing its server must not crash the process; the next query reports it.
  pool.on('error', () => {});
  return pool;
}

// pg-pool (3.x) rejects a connect that found no free client within connectionTimeoutMillis with a plain
// Error: no class of its own and no code, so its fixed message is the one mark it has.
const poolExhaustedMessage = 'timeout exceeded when trying to connect';

/** The pool had no free connection in time: the process is overloaded, the caller may retry. */
export function isPoolExhausted(error: unknown): boolean {
  return error instanceof Error && error.message === poolExhaustedMessage;
}

/** Runs `work` in one transaction, committing on success and rolling back on any throw. */
export async function withTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    const result = await work(client);
    await client.query('commit');
    return result;
  } catch (error) {
    await client.query('rollback').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}
