// Owns ticket codes: each code names its order and seat and carries an HMAC, so a scanner can tell a
// real ticket from a made-up one without a database round trip.
import { createHmac, timingSafeEqual } from 'node:crypto';

function signature(secret: string, orderId: string, seatId: string): string {
  return createHmac('sha256', secret).update(`${orderId}\n${seatId}`).digest('base64url').slice(0, 22);
}

export function signTicket(secret: string, orderId: string, seatId: string): string {
  return `${orderId}.${seatId}.${signature(secret, orderId, seatId)}`;
}

/** Returns the order and seat a code was issued for, or undefined when the code is not genuine. */
export function verifyTicket(secret: string, code: string): { orderId: string; seatId: string } | undefined {
  const parts = code.split('.');
  if (parts.length !== 3) return undefined;
  const [orderId, seatId, given] = parts as [string, string, string];
  const expected = Buffer.from(signature(secret, orderId, seatId));
  const actual = Buffer.from(given);
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) return undefined;
  return { orderId, seatId };
}
