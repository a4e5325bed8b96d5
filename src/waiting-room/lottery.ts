// Owns the waiting room's probabilistic FIFO (DESIGN.md): a buyer's luck v in [0, 1) comes from the
// server's HMAC of their lottery bytes, so nobody can tell how lucky they are, and an attempt after a wait
// of w seconds succeeds when v < 1 - exp(-w / tau). The longer one waits the likelier one gets in; among
// buyers who arrived together (the pre-queue, all with iat = salesOpenAt) luck decides: a lottery.
import { hmac } from './signed-tokens';

/**
 * The lottery bytes of a buyer's queue tokens for an event. They look random to everyone but the server,
 * and are the same for every token the buyer gets for the event: joining twice draws no second ticket.
 */
export function lotteryBytes(secret: string, eventId: string, buyerId: string): string {
  return hmac(secret, `lottery\u0000${eventId}\u0000${buyerId}`).subarray(0, 16).toString('base64url');
}

/** The buyer's luck v in [0, 1), from their lottery bytes (48 bits of an HMAC). */
export function luck(secret: string, lottery: string): number {
  return hmac(secret, `luck\u0000${lottery}`).readUIntBE(0, 6) / 2 ** 48;
}

/** The chance that a buyer who has waited `waitSeconds` is admitted at a given tau. */
export function admissionChance(waitSeconds: number, tau: number): number {
  return waitSeconds <= 0 ? 0 : 1 - Math.exp(-waitSeconds / tau);
}

/** Whether luck `v` is admitted after `waitSeconds` at `tau`. */
export function isAdmitted(v: number, waitSeconds: number, tau: number): boolean {
  return v < admissionChance(waitSeconds, tau);
}

/**
 * A wait estimate that does not reveal the buyer's luck: how much longer the median buyer (v = 0.5) with
 * this wait would need at the current tau, at least `floorSeconds`.
 */
export function estimatedWaitSeconds(waitSeconds: number, tau: number, floorSeconds: number): number {
  return Math.max(floorSeconds, Math.ceil(tau * Math.LN2 - waitSeconds));
}
