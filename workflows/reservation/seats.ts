// Owns the saga's seat steps, each beside its compensation: the hold (undone by a release), and the
// sale after a charge (undone, when the seats can no longer be committed, by refunding the charge and
// releasing the seats). Compensations run in non-cancellable scopes so a cancellation can't skip them.
import { CancellationScope, log } from '@temporalio/workflow';
import { domainCodeOf, domainFailureOf, failureMessage } from '../failures';
import { type HeldSeats, orderIdFor, type ReservationStatus } from './contract';
import type { ReservationState } from './state';
import type { Steps } from './steps';

/** Holds the seats, all or nothing; false when the hold was refused (the reservation is then REJECTED). */
export async function holdSeats(state: ReservationState, steps: Steps): Promise<boolean> {
  const { reservationId, buyerId, eventId, request } = state.input;
  const { view } = state;
  try {
    const hold = await steps.holdSeats({ reservationId, buyerId, eventId, request });
    view.seats = hold.seats;
    view.amount = hold.amount;
    view.currency = hold.currency;
    state.holdExpiresAtMs = Date.now() + hold.holdSeconds * 1000;
    state.publish('HELD');
    return true;
  } catch (error) {
    const rejection = domainFailureOf(error);
    if (!rejection) throw error;
    // A refused hold is the reservation's answer, not a failure: the hold update returns the view, whose
    // `rejection` the API answers with the domain code (409/404/422) and its details.
    view.rejection = { code: rejection.code, details: rejection.details };
    state.publish('REJECTED', failureMessage(error));
    return false;
  }
}

/**
 * Takes over the hold the API took before it started the workflow: no activity and no search-attribute
 * upsert (the API set them at start), so the first workflow task only starts the expiry timer.
 */
export function adoptHold(state: ReservationState, held: HeldSeats): void {
  const { view } = state;
  view.seats = held.seats;
  view.amount = held.amount;
  view.currency = held.currency;
  state.holdExpiresAtMs = Date.parse(held.heldUntil);
  state.publish('HELD', undefined, { searchAttributes: false });
}

/** Gives the seats back and ends the reservation with `status`. */
export async function releaseSeats(
  state: ReservationState,
  steps: Steps,
  status: ReservationStatus,
  reason: string,
  actor: string,
): Promise<void> {
  await CancellationScope.nonCancellable(() =>
    steps.releaseSeats({ reservationId: state.view.id, reason, actor }),
  );
  state.publish(status, reason);
}

/** Commits the seats and creates the order; if the seats are gone, refunds the charge instead. */
export async function completeSale(
  state: ReservationState,
  steps: Steps,
  paymentIntentId: string,
  actor: string,
): Promise<void> {
  const { view } = state;
  const orderId = orderIdFor(view.id);
  // Until the sale completes, a failure of the saga refunds this charge (compensation.ts).
  state.saleInFlight = paymentIntentId;
  try {
    await steps.completeSale({
      reservationId: view.id,
      orderId,
      eventId: view.eventId,
      buyerId: view.buyerId,
      paymentIntentId,
      amount: view.amount,
      currency: view.currency,
      seatIds: view.seats.map((seat) => seat.id),
      actor,
    });
    state.saleInFlight = undefined;
    state.recordedBySale = true;
    view.orderId = orderId;
    state.publish('CONFIRMED');
  } catch (error) {
    if (domainCodeOf(error) !== 'SEATS_NOT_HELD') throw error;
    state.saleInFlight = undefined;
    // Compensation, in reverse order of the steps: the money can no longer become a ticket, so it goes
    // back automatically, then the seats this reservation still holds (if any) are released, even when
    // the refund fails for good (its failure then fails the workflow, for support to refund by hand).
    await CancellationScope.nonCancellable(async () => {
      try {
        await steps.refundPayment({
          refundId: `${view.id}-compensation`,
          reservationId: view.id,
          paymentIntentId,
          amount: view.amount,
          currency: view.currency,
          reason: 'seats could not be committed after the charge',
          actor: 'system',
        });
      } finally {
        await steps.releaseSeats({
          reservationId: view.id,
          reason: 'sale failed after charge',
          actor: 'system',
        });
      }
    });
    state.publish(
      'FAILED',
      `seats could not be committed after payment (${failureMessage(error)}); the charge was refunded`,
    );
  }
}

/** A charge that succeeded outside an awaited attempt (webhook): sold with, if Stripe confirms it is ours. */
export async function acceptPayment(state: ReservationState, steps: Steps, paymentIntentId: string) {
  const check = await verifyPayment(state, steps, paymentIntentId);
  if (!check.verified) {
    log.warn('asynchronous payment not verified', { paymentIntentId, error: check.message });
    return;
  }
  state.notePayment({ paymentIntentId });
  await completeSale(state, steps, paymentIntentId, 'payment-webhook');
}

/**
 * Whether Stripe confirms `paymentIntentId` succeeded, unrefunded, for this reservation's amount and
 * currency; one made outside the checkout only when support adopts it (`adoptForeignPayment`).
 */
export async function verifyPayment(
  state: ReservationState,
  steps: Steps,
  paymentIntentId: string,
  options: { adoptForeignPayment?: boolean } = {},
): Promise<{ verified: true } | { verified: false; message: string }> {
  const { view } = state;
  try {
    await steps.verifyPayment({
      paymentIntentId,
      amount: view.amount,
      currency: view.currency,
      reservationId: view.id,
      ...(options.adoptForeignPayment && { adoptForeignPayment: true }),
    });
    return { verified: true };
  } catch (error) {
    if (domainCodeOf(error) !== 'PAYMENT_NOT_VERIFIED') throw error;
    return { verified: false, message: failureMessage(error) };
  }
}
