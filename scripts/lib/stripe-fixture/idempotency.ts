// Owns Stripe's Idempotency-Key rules for POSTs: replay a stored result, reject a reused key, hold a running one.
//
// As documented by Stripe for API v1:
// - A result is stored once the endpoint started executing, whatever its status (a decline, an
//   over-refund): the same key with the same method, path and parameters replays it with
//   `Idempotent-Replayed: true`; with anything else it is a 400 `idempotency_error`.
// - Requests that never reached execution store nothing and may be retried with the same key:
//   parameter validation errors, the 5xx/429 outages of faults.ts, and a 409 for a key whose first
//   request is still executing (a `hang`).
import type { Reply } from './wire';

interface IdempotencyRecord {
  fingerprint: string;
  /** Undefined while the first request with the key is still executing. */
  reply?: Reply;
}

export interface Idempotency {
  /** What a reused key answers without executing: its stored result or an `idempotency_error`. */
  earlier(key: string, fingerprint: string): Reply | undefined;
  /** Executes once for the key and stores the result; a request that throws stores nothing. */
  execute(key: string | undefined, fingerprint: string, run: () => Promise<Reply>): Promise<Reply>;
}

/** What must match for a key to replay: method, path and the parameters in any order. */
export function fingerprintOf(method: string | undefined, path: string, raw: string): string {
  const canonical = [...new URLSearchParams(raw)]
    .map(([key, value]) => `${key}=${value}`)
    .sort()
    .join('&');
  return `${method} ${path} ${canonical}`;
}

export function createIdempotency(): Idempotency {
  const records = new Map<string, IdempotencyRecord>();
  return {
    earlier(key, fingerprint) {
      const record = records.get(key);
      if (!record) return undefined;
      if (record.fingerprint !== fingerprint) return mismatch(key);
      if (!record.reply) return inProgress(key);
      return { ...record.reply, headers: { 'Idempotent-Replayed': 'true', 'Idempotency-Key': key } };
    },
    async execute(key, fingerprint, run) {
      if (!key) return run();
      records.set(key, { fingerprint });
      let reply: Reply;
      try {
        reply = await run();
      } catch (error) {
        records.delete(key);
        throw error;
      }
      records.set(key, { fingerprint, reply });
      return reply;
    },
  };
}

function mismatch(key: string): Reply {
  return idempotencyError(
    400,
    `Keys for idempotent requests can only be used with the same parameters they were first used with. ` +
      `Try using a key other than '${key}' if you meant to execute a different request.`,
  );
}

function inProgress(key: string): Reply {
  return idempotencyError(
    409,
    `There is currently another in-progress request using this Idempotency-Key: ${key}. Please try again later.`,
  );
}

function idempotencyError(status: number, message: string): Reply {
  return { status, body: { error: { message, type: 'idempotency_error' } } };
}
