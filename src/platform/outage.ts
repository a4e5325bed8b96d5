// Owns recognising that a service Boxoffice depends on (Postgres, Temporal, Redis) is down or
// unreachable, so the API answers 503 with Retry-After, as DESIGN.md asks, instead of a 500 that
// reads like a bug. Each driver marks it differently; this is the one place that knows how.
import { isGrpcServiceError } from '@temporalio/client';

/** Node's socket errors: the service's port refused, reset or never answered. */
const socketCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
]);

/**
 * Postgres's own SQLSTATEs for a server going away: class 08 (connection exception), and 57P01-57P03
 * (shut down by an operator, crashed, or still starting up after a crash).
 */
function isPostgresGone(code: string): boolean {
  return code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03';
}

/** node-postgres's messages for a connection lost mid-query (no code of their own). */
const postgresLostMessages = [
  'Connection terminated unexpectedly',
  'Connection terminated due to connection timeout',
  'Client has encountered a connection error and is not queryable',
];

/** ioredis's messages for a command it could not send (plain Errors, no code). */
const redisLostMessages = [
  'Connection is closed.',
  "Stream isn't writeable and enableOfflineQueue options is false",
];

/** gRPC's UNAVAILABLE (14) and DEADLINE_EXCEEDED (4): Temporal did not answer, not that it refused. */
const temporalDownCodes = new Set([14, 4]);

function isDown(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (socketCodes.has(code) || isPostgresGone(code))) return true;
  if (postgresLostMessages.includes(error.message)) return true;
  // ioredis gives up on a command when it has no connection (enableOfflineQueue is off).
  if (error.name === 'MaxRetriesPerRequestError' || redisLostMessages.includes(error.message)) return true;
  // Temporal's client wraps the gRPC error (its cause, walked below) in a ServiceError.
  return isGrpcServiceError(error) && temporalDownCodes.has(error.code);
}

/** Whether `error`, or an error it wraps, says a dependency is down rather than that our code is wrong. */
export function isDependencyDown(error: unknown): boolean {
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    if (isDown(current)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}
