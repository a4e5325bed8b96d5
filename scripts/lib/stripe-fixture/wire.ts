// Owns Stripe's wire format as the fixture speaks it: replies, error bodies, form-encoded parameters and ids.
import { randomBytes } from 'node:crypto';

/** An answer before it is written: status and JSON body (a string is sent as is, null as no body). */
export interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export type Params = Record<string, unknown>;

export function apiError(message: string) {
  return { error: { message, type: 'api_error' } };
}

/** Stripe's 500 for a failure inside the API; also what a client sees when the response is lost. */
export function unknownError(): Reply {
  return { status: 500, body: apiError('An unknown error occurred while processing the request.') };
}

export function invalidRequest(status: number, message: string, extra: Record<string, unknown> = {}): Reply {
  return { status, body: { error: { ...extra, message, type: 'invalid_request_error' } } };
}

/** Parses Stripe's form encoding (`metadata[key]=v`, `types[0]=card`) into nested objects. */
export function parseForm(encoded: string): Params {
  const root: Params = {};
  for (const [key, value] of new URLSearchParams(encoded)) {
    const parts = key.match(/[^[\]]+|\[\]/g) ?? [key];
    let node: Params = root;
    parts.forEach((part, index) => {
      const slot = part === '[]' ? String(Object.keys(node).length) : part;
      if (index === parts.length - 1) {
        node[slot] = value;
        return;
      }
      if (typeof node[slot] !== 'object' || node[slot] === null) node[slot] = {};
      node = node[slot] as Params;
    });
  }
  return root;
}

/** The body of a `/__fixture/...` control request, when it is a JSON object. */
export function parseJson(raw: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(raw);
    return value && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export function randomToken(length: number): string {
  return [...randomBytes(length)].map((byte) => alphabet[byte % alphabet.length]).join('');
}

export function newId(prefix: string): string {
  return `${prefix}_${randomToken(24)}`;
}
