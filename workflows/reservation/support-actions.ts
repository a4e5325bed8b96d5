// Owns what support can do to a running reservation (from the Temporal UI or CLI): force-release the
// seats, force-confirm with a PaymentIntent Stripe confirms, and extend the hold. Each action is noted
// in the reservation's record with the operator, the reason and what came of it.
import type { ExtendHoldRequest, ForceConfirmRequest } from './contract';
import { completeSale, releaseSeats, verifyPayment } from './seats';
import type { ReservationState } from './state';
import type { Steps } from './steps';

const defaultExtendSeconds = 600;
const maxExtendSeconds = 86_400;

/** Carries out the pending force-release: the seats go back on sale and the reservation ends RELEASED. */
export async function forceRelease(state: ReservationState, steps: Steps, outcome: string): Promise<void> {
  const request = state.releaseRequest;
  if (!request) return;
  state.releaseRequest = undefined;
  state.noteSupportAction('forceRelease', request, outcome);
  await releaseSeats(
    state,
    steps,
    'RELEASED',
    `force-released by ${request.operator}: ${request.reason}`,
    request.operator,
  );
}

/** Sells the seats with a payment support found, once Stripe confirms it succeeded for this amount. */
export async function forceConfirm(
  state: ReservationState,
  steps: Steps,
  request: ForceConfirmRequest,
): Promise<void> {
  const { view } = state;
  if (!/^pi_\w+$/.test(request.paymentIntentId)) {
    state.noteSupportAction(
      'forceConfirm',
      request,
      'rejected: paymentIntentId must be a Stripe PaymentIntent id (pi_...)',
    );
    state.publish(view.status, view.reason);
    return;
  }
  const check = await verifyPayment(state, steps, request.paymentIntentId, {
    adoptForeignPayment: request.adoptForeignPayment,
  });
  if (!check.verified) {
    state.noteSupportAction('forceConfirm', request, `rejected: ${check.message}`);
    state.publish(view.status, view.reason);
    return;
  }
  state.notePayment({ paymentIntentId: request.paymentIntentId });
  state.noteSupportAction(
    'forceConfirm',
    request,
    `confirmed with ${request.paymentIntentId}${request.adoptForeignPayment ? ', adopted by support as a payment made outside the checkout' : ''}`,
  );
  await completeSale(state, steps, request.paymentIntentId, request.operator);
}

/** Gives the buyer more time: the workflow's deadline and the seats' lease move together. */
export async function extendHold(
  state: ReservationState,
  steps: Steps,
  request: ExtendHoldRequest,
): Promise<void> {
  const seconds =
    request.seconds && request.seconds > 0
      ? Math.min(request.seconds, maxExtendSeconds)
      : defaultExtendSeconds;
  state.holdExpiresAtMs = Math.max(state.holdExpiresAtMs, Date.now()) + seconds * 1000;
  const heldUntil = new Date(state.holdExpiresAtMs).toISOString();
  await steps.extendHold({ reservationId: state.view.id, heldUntil });
  state.noteSupportAction('extendHold', request, `hold now expires ${heldUntil}`);
  state.publish(state.view.status);
}
