// Owns one payment attempt of a reservation: the charge on the rate-limited payment queue, raced
// against the attempt's workflow timer and support's force-release; after a timeout or a lost answer,
// the check with Stripe that decides whether money was taken; and the wait for an asynchronous outcome
// (3-D Secure) within the payment window. Then the attempt's result: a sale, another try, or the end.
import { CancellationScope, condition, isCancellation, log, sleep } from '@temporalio/workflow';
import type { ChargeResult } from '../../activities/payments';
import { chargeCall, gatewayCall } from '../activity-options';
import { domainCodeOf, failureMessage } from '../failures';
import { completeSale, releaseSeats } from './seats';
import type { ReservationState } from './state';
import type { Steps } from './steps';
import { forceRelease } from './support-actions';

/** After a decline the buyer keeps at least this long to try another card. */
const retryGraceMs = 2 * 60_000;

/**
 * Histories recorded before the charge heartbeated moved on as soon as they cancelled it; since, the
 * workflow waits for the cancelled charge to end before asking Stripe what it did.
 */
const chargeAwaitedPatch = 'charge-heartbeats-and-is-awaited';

type ChargeSettled = { kind: 'charged'; result: ChargeResult } | { kind: 'error'; error: unknown };

type ChargeOutcome =
  | { kind: 'succeeded'; paymentIntentId: string }
  | { kind: 'declined'; message: string }
  | { kind: 'notCharged'; message: string }
  | { kind: 'forceReleased' };

/** Runs attempt number `attempt` with the buyer's card and records its result for the confirm update. */
export async function pay(
  state: ReservationState,
  steps: Steps,
  attempt: number,
  paymentMethodId: string,
): Promise<void> {
  const { input } = state;
  const buyerHoldExpiresAtMs = state.holdExpiresAtMs;
  state.holdExpiresAtMs = Math.max(state.holdExpiresAtMs, Date.now() + input.payments.windowSeconds * 1000);
  state.notePayment({ attempts: attempt });
  state.publish('PAYING');
  // Asked before the lease's local activity: a patch asked right after one replays differently when its
  // result arrived in a later workflow task than in the original run.
  const awaitsCharge = steps.isPatched(chargeAwaitedPatch);
  await steps.keepLease(state.view.id, state.holdExpiresAtMs, {
    moved: state.holdExpiresAtMs !== buyerHoldExpiresAtMs,
  });
  const outcome = await charge(state, steps, { attempt, paymentMethodId, awaitsCharge });
  switch (outcome.kind) {
    case 'succeeded':
      await completeSale(state, steps, outcome.paymentIntentId, 'buyer');
      state.attemptResults.set(
        attempt,
        state.view.status === 'CONFIRMED' ? { kind: 'confirmed' } : { kind: 'ended' },
      );
      return;
    case 'forceReleased':
      await forceRelease(state, steps, 'released during payment; payment not taken');
      state.attemptResults.set(attempt, { kind: 'ended' });
      return;
    case 'declined':
    case 'notCharged': {
      state.notePayment({ attempts: attempt, lastError: outcome.message });
      if (attempt >= input.payments.maxAttempts) {
        await releaseSeats(state, steps, 'FAILED', `payment failed ${attempt} times`, 'system');
      } else {
        const payingUntilMs = state.holdExpiresAtMs;
        state.holdExpiresAtMs = Math.max(buyerHoldExpiresAtMs, Date.now() + retryGraceMs);
        state.publish('HELD');
        await steps.keepLease(state.view.id, state.holdExpiresAtMs, {
          moved: state.holdExpiresAtMs !== payingUntilMs,
        });
      }
      state.attemptResults.set(
        attempt,
        outcome.kind === 'declined'
          ? { kind: 'declined', message: outcome.message }
          : { kind: 'failed', message: outcome.message },
      );
      return;
    }
  }
}

/**
 * One charge attempt, bounded by a workflow timer, interruptible by support's force-release;
 * `awaitsCharge`: a cancelled charge is awaited before anything is decided (chargeAwaitedPatch).
 */
async function charge(
  state: ReservationState,
  steps: Steps,
  {
    attempt,
    paymentMethodId,
    awaitsCharge,
  }: { attempt: number; paymentMethodId: string; awaitsCharge: boolean },
): Promise<ChargeOutcome> {
  const { input, view } = state;
  const chargeScope = new CancellationScope();
  const timerScope = new CancellationScope();
  const options = awaitsCharge ? chargeCall(input.payments.taskQueue) : gatewayCall(input.payments.taskQueue);
  const charged = chargeScope.run(() =>
    steps.chargePayment.executeWithOptions({ ...options, summary: `charge attempt ${attempt}` }, [
      {
        reservationId: view.id,
        attempt,
        paymentMethodId,
        amount: view.amount,
        currency: view.currency,
        buyerId: view.buyerId,
        eventId: view.eventId,
      },
    ]),
  );
  const timedOut = timerScope.run(() =>
    sleep(input.payments.attemptTimeoutSeconds * 1000, { summary: `payment attempt ${attempt} timeout` }),
  );
  const released = condition(() => state.releaseRequest !== undefined);

  const settled: Promise<ChargeSettled> = charged.then(
    (result) => ({ kind: 'charged' as const, result }),
    (error: unknown) => ({ kind: 'error' as const, error }),
  );
  let first = await Promise.race([
    settled,
    timedOut.then(
      () => ({ kind: 'timeout' as const }),
      () => ({ kind: 'timerCancelled' as const }),
    ),
    released.then(() => ({ kind: 'forceRelease' as const })),
  ]);
  timerScope.cancel();
  if (first.kind !== 'charged' && first.kind !== 'error') {
    chargeScope.cancel();
    // The charge's request may still be on its way to Stripe: nothing is decided until the activity has
    // ended (cancelled, failed, or answered after all), so the check below can't race it.
    if (awaitsCharge) first = await settled;
  }
  charged.catch(() => {});

  if (first.kind === 'charged') {
    const { paymentIntentId, nextAction } = first.result;
    state.notePayment({ attempts: attempt, paymentIntentId, nextAction });
    if (first.result.status === 'succeeded') return { kind: 'succeeded', paymentIntentId };
    // The buyer's confirm answers now (PAYING, with what to do); the outcome arrives by webhook.
    if (nextAction) state.attemptResults.set(attempt, { kind: 'awaitingAction' });
    const outcome = await awaitAsyncOutcome(state, steps, attempt, paymentIntentId);
    state.notePayment({ nextAction: null });
    return outcome;
  }
  if (first.kind === 'error') {
    if (domainCodeOf(first.error) === 'PAYMENT_DECLINED')
      return { kind: 'declined', message: failureMessage(first.error) };
    if (!isCancellation(first.error))
      log.warn('charge failed', { attempt, error: failureMessage(first.error) });
  }
  // Timeout, force-release or an unexpected failure: ask Stripe what really happened before deciding.
  const truth = await CancellationScope.nonCancellable(() =>
    steps.checkPaymentAttempt({ reservationId: view.id, attempt }),
  );
  if (truth.paymentIntentId) state.notePayment({ attempts: attempt, paymentIntentId: truth.paymentIntentId });
  if (truth.status === 'succeeded' && truth.paymentIntentId)
    return { kind: 'succeeded', paymentIntentId: truth.paymentIntentId };
  if (state.releaseRequest) return { kind: 'forceReleased' };
  return {
    kind: 'notCharged',
    message: 'the payment did not complete in time and was not charged; try again',
  };
}

/**
 * 3-D Secure and other asynchronous outcomes arrive by webhook; the payment window bounds the wait, and
 * support's release or Temporal's cancel cut it short (the PaymentIntent exists, so the check can cancel it).
 */
async function awaitAsyncOutcome(
  state: ReservationState,
  steps: Steps,
  attempt: number,
  paymentIntentId: string,
): Promise<ChargeOutcome> {
  const arrived = await condition(
    () =>
      state.asyncOutcomes.has(paymentIntentId) || state.releaseRequest !== undefined || state.cancelRequested,
    Math.max(state.holdExpiresAtMs - Date.now(), 1),
  );
  const outcome = state.asyncOutcomes.get(paymentIntentId);
  if (arrived && outcome?.status === 'succeeded') return { kind: 'succeeded', paymentIntentId };
  if (arrived && outcome?.status === 'failed')
    return { kind: 'declined', message: outcome.error ?? 'payment failed' };
  const truth = await steps.checkPaymentAttempt({ reservationId: state.view.id, attempt });
  if (truth.status === 'succeeded') return { kind: 'succeeded', paymentIntentId };
  if (state.releaseRequest) return { kind: 'forceReleased' };
  if (state.cancelRequested)
    return { kind: 'notCharged', message: 'the checkout was cancelled before the payment completed' };
  return { kind: 'notCharged', message: 'the payment was not completed within the payment window' };
}
