// Owns injected faults: the fault set per payment method id, the built-in fault ids, and `/__fixture/faults`.
//
// Faults apply to the requests that move money for a payment method (creating/confirming its
// PaymentIntents and refunding them), never to reads and cancels, so reconciliation always sees the
// truth. Outages (`failWith5xx`, `rateLimited`, `pm_fault_500_once`) answer before execution and store
// nothing; `failAfterCharge` models a response lost on the way back: the money moves, the client gets a 500;
// `storedServerError` an error inside Stripe after the money moved, which Stripe keeps as the key's answer.
import { parseJson, type Reply, unknownError } from './wire';

export interface StripeFault {
  /** Delay before the request is handled. */
  latencyMs?: number;
  /** Answer the next N calls with a 500 `api_error` before executing them (nothing stored). */
  failWith5xx?: number;
  /** Answer the next N calls with a 429 `rate_limit` before executing them (nothing stored). */
  rateLimited?: number;
  /** Create the PaymentIntent as `processing` and never answer until the fault is cleared or the fixture stops. */
  hang?: boolean;
  /** Execute and store the charge or refund, then answer 500: the response is lost, the money moved. */
  failAfterCharge?: boolean;
  /**
   * Execute the charge or refund, then store and answer a 500 for its key, as Stripe does for an error
   * inside the API: every replay of the key gets the same 500 (marked `Idempotent-Replayed`).
   */
  storedServerError?: boolean;
}

/** Built-in payment method ids with a fixed fault, for trying failures by hand in the dev stack. */
export const builtInFaults = {
  pm_fault_slow: 'answers after 2 s, then succeeds',
  pm_fault_500_once:
    'the first request of each Idempotency-Key answers 500 (nothing stored); a retry succeeds',
  pm_fault_hang: 'never answers; the PaymentIntent stays processing until faults are cleared',
  pm_fault_lost_response: 'charges, then answers 500; a retry with the same key gets the success',
} as const;

const builtInFault: Record<string, StripeFault> = {
  pm_fault_slow: { latencyMs: 2000 },
  pm_fault_hang: { hang: true },
  pm_fault_lost_response: { failAfterCharge: true },
};

export interface Faults {
  /** The fault set for the payment method, else its built-in one. */
  faultFor(paymentMethodId: string): StripeFault | undefined;
  /** The 5xx/429 answered before execution; counts are consumed as they fire. */
  takeOutage(paymentMethodId: string, idempotencyKey: string | undefined): Reply | undefined;
  /** Replaces the fault of a payment method; requests hanging on it are released unless `hang` stays on. */
  set(paymentMethodId: string, fault: StripeFault): void;
  /** Clears one payment method's fault, or all of them, and releases the requests they held. */
  clear(paymentMethodId?: string): void;
  all(): Record<string, StripeFault>;
}

/** `releaseHung` lets go of the requests hanging on a payment method (all of them without one). */
export function createFaults(releaseHung: (paymentMethodId?: string) => void): Faults {
  const faults = new Map<string, StripeFault>();
  const failedOnceKeys = new Set<string>();
  return {
    faultFor(paymentMethodId) {
      return faults.get(paymentMethodId) ?? builtInFault[paymentMethodId];
    },
    takeOutage(paymentMethodId, idempotencyKey) {
      if (paymentMethodId === 'pm_fault_500_once') {
        if (idempotencyKey && failedOnceKeys.has(idempotencyKey)) return undefined;
        if (idempotencyKey) failedOnceKeys.add(idempotencyKey);
        return unknownError();
      }
      const fault = faults.get(paymentMethodId);
      if (fault?.failWith5xx && fault.failWith5xx > 0) {
        fault.failWith5xx -= 1;
        return unknownError();
      }
      if (fault?.rateLimited && fault.rateLimited > 0) {
        fault.rateLimited -= 1;
        return rateLimit;
      }
      return undefined;
    },
    set(paymentMethodId, fault) {
      faults.set(paymentMethodId, { ...fault });
      if (!fault.hang) releaseHung(paymentMethodId);
    },
    clear(paymentMethodId) {
      if (paymentMethodId === undefined) faults.clear();
      else faults.delete(paymentMethodId);
      releaseHung(paymentMethodId);
    },
    all() {
      return Object.fromEntries(faults);
    },
  };
}

const rateLimit: Reply = {
  status: 429,
  body: {
    error: {
      code: 'rate_limit',
      message:
        'Too many requests hit the API too quickly. We recommend an exponential backoff of your requests.',
      type: 'invalid_request_error',
    },
  },
};

/** `GET|POST|DELETE /__fixture/faults` and `DELETE /__fixture/faults/{paymentMethodId}`; undefined for other paths. */
export function faultControl(faults: Faults, method: string, path: string, raw: string): Reply | undefined {
  if (path === '/__fixture/faults' && method === 'GET') return { status: 200, body: faults.all() };
  if (path === '/__fixture/faults' && method === 'POST') {
    const body = parseJson(raw);
    const fault = body && parseFault(body);
    if (!body || typeof body.paymentMethodId !== 'string' || !fault) {
      return {
        status: 400,
        body: {
          error:
            'expected { paymentMethodId, latencyMs?, failWith5xx?, rateLimited?, hang?, failAfterCharge?, storedServerError? }',
        },
      };
    }
    faults.set(body.paymentMethodId, fault);
    return { status: 200, body: { paymentMethodId: body.paymentMethodId, ...fault } };
  }
  if (path === '/__fixture/faults' && method === 'DELETE') {
    faults.clear();
    return { status: 204, body: null };
  }
  const one = path.match(/^\/__fixture\/faults\/([^/]+)$/);
  if (one?.[1] && method === 'DELETE') {
    faults.clear(decodeURIComponent(one[1]));
    return { status: 204, body: null };
  }
  return undefined;
}

function parseFault(body: Record<string, unknown>): StripeFault | undefined {
  const fault: StripeFault = {};
  for (const name of ['latencyMs', 'failWith5xx', 'rateLimited'] as const) {
    const value = body[name];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) return undefined;
    fault[name] = value;
  }
  for (const name of ['hang', 'failAfterCharge', 'storedServerError'] as const) {
    const value = body[name];
    if (value === undefined) continue;
    if (typeof value !== 'boolean') return undefined;
    fault[name] = value;
  }
  return fault;
}
