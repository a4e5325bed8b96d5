// Owns what a reservation is named by: the id derived from buyer + Idempotency-Key (so a retried POST
// lands on the same workflow) and the fingerprint of the request (so a reused key with another body is caught).
import { reservationIdPrefix, type SeatRequest } from '../../workflows/reservation/contract';
import { digest } from '../digest';

/** The reservation id, which is also its workflow id. */
export function reservationIdFor(buyerId: string, idempotencyKey: string): string {
  return `${reservationIdPrefix}${digest(`${buyerId}\n${idempotencyKey}`).slice(0, 26)}`;
}

/** The same seats asked for the same event give the same fingerprint, however the body was written. */
export function requestFingerprint(eventId: string, request: SeatRequest): string {
  const canonical =
    'seatIds' in request
      ? { eventId, seatIds: request.seatIds }
      : {
          eventId,
          section: request.section,
          quantity: request.quantity,
          adjacent: request.adjacent ?? false,
        };
  return digest(JSON.stringify(canonical));
}
