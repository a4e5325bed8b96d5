// Owns what each principal sees of a reservation (invariant 8). A buyer only ever gets the buyer view,
// built here field by field, in every reservation response and in problem details that carry one;
// support gets the record as the workflow keeps it. Nobody gets the internal request fingerprint.
import type { ReservationView } from '../workflows/reservation/contract';
import type { Principal } from './auth';

/**
 * The workflow's reason in the buyer's words. It is written for support: a force-release names the
 * operator and their note ("force-released by sam: ..."), and a failure carries its internal cause after
 * "the checkout failed:" and in parentheses ("... (recordReservation failed for good (...))"). The buyer
 * gets what happened and what became of the seats and the money, never who or why internally.
 */
function buyerReason(view: ReservationView): string | undefined {
  if (view.status === 'RELEASED') return 'customer support released the seats';
  if (view.reason === undefined) return undefined;
  let reason = view.reason.replace(/^the checkout failed: [^;]*/, 'the checkout failed');
  for (let before = ''; before !== reason; ) {
    before = reason;
    reason = reason.replace(/\s*\([^()]*\)/g, '');
  }
  return reason;
}

/** The reservation as its buyer sees it: what they asked for, where it stands, their payment. */
export function buyerView(view: ReservationView): ReservationView {
  const { id, eventId, buyerId, status, seats, amount, currency, expiresAt, orderId, payment } = view;
  const reason = buyerReason(view);
  return {
    id,
    eventId,
    buyerId,
    status,
    seats: seats.map((seat) => ({ id: seat.id, price: seat.price })),
    amount,
    currency,
    expiresAt,
    ...(orderId !== undefined && { orderId }),
    ...(payment && {
      payment: {
        attempts: payment.attempts,
        ...(payment.lastError !== undefined && { lastError: payment.lastError }),
        ...(payment.paymentIntentId !== undefined && { paymentIntentId: payment.paymentIntentId }),
        ...(payment.nextAction !== undefined && { nextAction: payment.nextAction }),
      },
    }),
    ...(reason !== undefined && { reason }),
  };
}

/** Support's view: everything but the internal fingerprint and the buyer's next action (its client secret finishes the buyer's payment). */
function supportView(view: ReservationView): ReservationView {
  const { requestFingerprint: _internal, ...shown } = view;
  if (!shown.payment?.nextAction) return shown;
  const { nextAction: _buyers, ...payment } = shown.payment;
  return { ...shown, payment };
}

/** What `principal` may see of a reservation; anyone but support gets the buyer view. */
export function reservationViewFor(principal: Principal | undefined, view: ReservationView): ReservationView {
  return principal?.role === 'support' ? supportView(view) : buyerView(view);
}

function isReservationView(value: unknown): value is ReservationView {
  return (
    typeof value === 'object' && value !== null && 'status' in value && 'id' in value && 'seats' in value
  );
}

/** A problem's details as `principal` may see them: a reservation among them is shown through its view. */
export function detailsVisibleTo(
  principal: Principal | undefined,
  details: Record<string, unknown>,
): Record<string, unknown> {
  if (!isReservationView(details.reservation)) return details;
  return { ...details, reservation: reservationViewFor(principal, details.reservation) };
}
