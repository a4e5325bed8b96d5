// Owns the two tokens of the waiting room and what they carry. A queue token is a waiting buyer's place
// (the server keeps no row per waiting buyer); an admission token is an admitted buyer's session.
// Times are seconds since the epoch, with milliseconds as decimals.
import { type KeyRing, sign, type Verified, verify } from './signed-tokens';

export interface QueueTokenPayload {
  typ: 'queue';
  /** Token id: the same across the tokens of one place in the queue; consumed once by an admission. */
  jti: string;
  /** The buyer the place belongs to. */
  sub: string;
  evt: string;
  /** Join time: salesOpenAt for a join before it, so the whole pre-queue is equal. */
  iat: number;
  exp: number;
  /** 16 lottery bytes, base64url: the server derives the buyer's luck from them. */
  lot: string;
  /** The earliest next attempt (the backoff). */
  nbf: number;
  /** The proof-of-work challenge of the next attempt, and its difficulty in leading zero bits. */
  ch: string;
  dif: number;
  /** Attempts made with this place so far. */
  n: number;
}

export interface AdmissionTokenPayload {
  typ: 'admission';
  /** The session this admission opened. */
  sid: string;
  sub: string;
  evt: string;
  exp: number;
}

export type QueueToken = Verified<QueueTokenPayload>;

export function signQueueToken(ring: KeyRing, payload: QueueTokenPayload): string {
  return sign(ring, payload);
}

export function signAdmissionToken(ring: KeyRing, payload: AdmissionTokenPayload): string {
  return sign(ring, payload);
}

/** A genuine queue token (signature and shape); expiry and owner are the caller's to check. */
export function readQueueToken(ring: KeyRing, token: string): QueueToken | undefined {
  const verified = verify<QueueTokenPayload>(ring, token);
  const p = verified?.payload;
  if (p?.typ !== 'queue') return undefined;
  const fields = [p.jti, p.sub, p.evt, p.lot, p.ch];
  const numbers = [p.iat, p.exp, p.nbf, p.dif, p.n];
  if (!fields.every((f) => typeof f === 'string') || !numbers.every(Number.isFinite)) return undefined;
  return verified;
}

export function readAdmissionToken(ring: KeyRing, token: string): AdmissionTokenPayload | undefined {
  const p = verify<AdmissionTokenPayload>(ring, token)?.payload;
  if (p?.typ !== 'admission') return undefined;
  if (![p.sid, p.sub, p.evt].every((f) => typeof f === 'string') || !Number.isFinite(p.exp)) return undefined;
  return p;
}
