// Owns the saga's compensation when the workflow itself is stopped or breaks, rather than the buyer or
// support ending the reservation: Temporal's cancel request (UI, CLI) is carried out at the saga's next
// safe point as a release, and a failure that escapes the saga after the hold refunds a charge that can
// no longer become a ticket and releases the seats before the workflow fails. Seats never stay held by a
// workflow that has ended.
import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  CancellationScope,
  condition,
  log,
  TemporalFailure,
  WorkflowError,
} from '@temporalio/workflow';
import { failureMessage } from '../failures';
import { releaseSeats } from './seats';
import type { ReservationState } from './state';
import type { Steps } from './steps';

/**
 * Runs the saga so that Temporal's cancel request never interrupts a step halfway (a charge without its
 * sale, a hold without its release): the saga runs non-cancellable and the request becomes
 * `state.cancelRequested`, which the saga's loop answers like a command.
 */
export function runCancellableAsRequest<T>(state: ReservationState, saga: () => Promise<T>): Promise<T> {
  void CancellationScope.current().cancelRequested.catch(() => {
    state.cancelRequested = true;
    log.info('cancel requested in Temporal', { reservationId: state.view.id });
  });
  return CancellationScope.nonCancellable(saga);
}

/** Carries out Temporal's cancel request: the seats go back on sale and the reservation ends CANCELLED. */
export async function cancelByTemporal(state: ReservationState, steps: Steps): Promise<void> {
  state.cancelRequested = false;
  await releaseSeats(
    state,
    steps,
    'CANCELLED',
    'cancelled in Temporal (a workflow cancel request); the seats were released',
    'system',
  );
}

/** A cancel request that came when the reservation had already ended (or was sold meanwhile) is noted. */
export function answerLateCancellation(state: ReservationState): void {
  if (!state.cancelRequested) return;
  state.cancelRequested = false;
  const { view } = state;
  const note =
    view.status === 'CONFIRMED'
      ? 'a Temporal cancel request came while the payment went through: the seats were sold, not released'
      : `a Temporal cancel request came after the reservation had ended as ${view.status}`;
  state.publish(view.status, view.reason ? `${view.reason}; ${note}` : note);
}

/**
 * Compensates a failure that escaped the saga: refunds the charge of a sale that did not complete, releases
 * the seats, records the reservation FAILED with why, and returns the error the workflow fails with.
 * Errors of the SDK itself (nondeterminism) are returned untouched, for the task to be retried.
 */
export async function compensateFailure(
  state: ReservationState,
  steps: Steps,
  error: unknown,
): Promise<unknown> {
  if (error instanceof WorkflowError) return error;
  const { view } = state;
  const why = describeFailure(error);
  log.error('checkout failed; compensating', { reservationId: view.id, error: why });
  // The buyer reads the reservation's reason: what became of the seats and the money, no internals.
  let money = refundFailed(error) ? refundByHand(view.payment?.paymentIntentId) : '';
  const charge = state.saleInFlight;
  if (charge) {
    state.saleInFlight = undefined;
    try {
      await steps.refundPayment({
        refundId: `${view.id}-compensation`,
        reservationId: view.id,
        paymentIntentId: charge,
        amount: view.amount,
        currency: view.currency,
        reason: 'the checkout failed before the charge became a ticket',
        actor: 'system',
      });
      money = '; the charge was refunded';
    } catch (refundError) {
      log.error('compensating refund failed', {
        reservationId: view.id,
        error: describeFailure(refundError),
      });
      money = refundByHand(charge);
    }
  }
  // Idempotent: releases only seats still held, never sold ones.
  await steps.releaseSeats({
    reservationId: view.id,
    reason: `the checkout failed: ${why}`,
    actor: 'system',
  });
  if (!state.isTerminal())
    state.publish('FAILED', `the checkout failed before it finished${money}; the seats were released`);
  try {
    await steps.recordReservation(state.snapshot());
  } catch (recordError) {
    log.warn('failed checkout not recorded in Postgres', { error: failureMessage(recordError) });
  }
  await condition(allHandlersFinished);
  // A bug (a plain Error) would only fail the workflow task, retried forever: the reservation has ended.
  return error instanceof TemporalFailure
    ? error
    : ApplicationFailure.fromError(error, { nonRetryable: true });
}

/** The failing step and its message, for the log, the seats' audit and the workflow's failure. */
function describeFailure(error: unknown): string {
  if (!(error instanceof ActivityFailure) || !error.activityType) return failureMessage(error);
  return `${error.activityType} failed for good (${failureMessage(error)})`;
}

function refundFailed(error: unknown): boolean {
  return error instanceof ActivityFailure && error.activityType === 'refundPayment';
}

function refundByHand(paymentIntentId: string | undefined): string {
  return `; the automatic refund of ${paymentIntentId ?? 'the charge'} failed: support refunds it by hand`;
}
