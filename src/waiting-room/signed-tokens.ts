// Owns the waiting room's signed tokens: `kid.payload.signature`, HMAC-SHA256 over the key id and the
// payload. The first key of the ring signs; every key verifies, so a rotation keeps tokens signed with
// the previous key valid until they expire. Pure (node:crypto only): the API and the tests use it.
import { createHmac, timingSafeEqual } from 'node:crypto';

/** A signing key and the id tokens name it by. */
export interface SigningKey {
  id: string;
  secret: string;
}

export interface KeyRing {
  /** Signs new tokens. */
  current: SigningKey;
  /** Every key a token may be signed with, the current one included. */
  byId: ReadonlyMap<string, SigningKey>;
}

export function keyRing(keys: SigningKey[]): KeyRing {
  const [current] = keys;
  if (!current) throw new Error('a key ring needs at least one key');
  return { current, byId: new Map(keys.map((key) => [key.id, key])) };
}

export function hmac(secret: string, data: string): Buffer {
  return createHmac('sha256', secret).update(data).digest();
}

export function sign(ring: KeyRing, payload: object): string {
  const body = `${ring.current.id}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  return `${body}.${hmac(ring.current.secret, body).toString('base64url')}`;
}

/** A verified token's payload and the key that signed it. */
export interface Verified<P> {
  payload: P;
  key: SigningKey;
}

/**
 * The payload of a token signed by a key of the ring, or undefined when it is malformed, names an unknown
 * key, or its signature does not match. It says nothing about expiry or who may use it: callers check.
 */
export function verify<P>(ring: KeyRing, token: string): Verified<P> | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  const [keyId, payload, signature] = parts as [string, string, string];
  const key = ring.byId.get(keyId);
  if (!key) return undefined;
  const expected = hmac(key.secret, `${keyId}.${payload}`);
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    return typeof parsed === 'object' && parsed !== null ? { payload: parsed as P, key } : undefined;
  } catch {
    return undefined;
  }
}
