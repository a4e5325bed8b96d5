// Owns the checkout saga: one workflow per reservation. Hold the seats, wait on a durable timer for the
// buyer, pay through the rate-limited payment queue, then complete the sale or compensate (release the
// seats, refund a charge that can no longer become a ticket). Expiry and payment timeouts are timers;
// Temporal's cancel request and a failure after the hold compensate too (compensation.ts).
import { allHandlersFinished, condition, log } from '@temporalio/workflow';
import { settleLatePayment } from '../late-payment/workflow';
import {
  answerLateCancellation,
  cancelByTemporal,
  compensateFailure,
  runCancellableAsRequest,
} from './compensation';
import type { ReservationInput, ReservationView } from './contract';
import { registerMessageHandlers } from './messages';
import { pay } from './payment-attempt';
import { acceptPayment, adoptHold, holdSeats, releaseSeats } from './seats';
import { type Command, ReservationState } from './state';
import { createSteps, type Steps } from './steps';
import { extendHold, forceConfirm, forceRelease } from './support-actions';

export async function reservationWorkflow(input: ReservationInput): Promise<ReservationView> {
  const state = new ReservationState(input);
  const steps = createSteps(input.payments.taskQueue, input.held !== undefined);
  // Held by the API before the start: adopted before the handlers are set, so a confirm delivered with
  // the workflow's first task already finds the reservation HELD.
  if (input.held) adoptHold(state, input.held);
  registerMessageHandlers(state);
  return runCancellableAsRequest(state, async () => {
    try {
      return await checkout(state, steps);
    } catch (error) {
      throw await compensateFailure(state, steps, error);
    }
  });
}

async function checkout(state: ReservationState, steps: Steps): Promise<ReservationView> {
  // 1. The seats are held, all or nothing: by the API before it started this workflow (recorded there
  // too), or, in reservations started before it did, here. A refused hold ends the reservation at once.
  if (!state.input.held) {
    if (!(await holdSeats(state, steps))) return finish(state, steps);
    await steps.recordReservation(state.snapshot());
  }

  // 2. Until the reservation ends: the buyer pays or cancels, support acts, Temporal cancels, or the hold
  // expires.
  while (!state.isTerminal()) {
    const remainingMs = state.holdExpiresAtMs - Date.now();
    if (remainingMs <= 0) {
      await releaseSeats(state, steps, 'EXPIRED', 'the hold expired before payment', 'system');
      break;
    }
    if (!(await condition(() => state.hasWork() || state.cancelRequested, remainingMs))) continue;
    if (state.releaseRequest) {
      await forceRelease(state, steps, 'released');
      continue;
    }
    if (state.cancelRequested) {
      await cancelByTemporal(state, steps);
      continue;
    }
    await handle(state, steps, state.commands.shift() as Command);
  }

  // 3. Record the outcome; what arrived too late is answered: money is settled, support's actions noted.
  return finish(state, steps);
}

async function handle(state: ReservationState, steps: Steps, command: Command): Promise<void> {
  switch (command.kind) {
    case 'confirm':
      return pay(state, steps, command.attempt, command.paymentMethodId);
    case 'cancel':
      return releaseSeats(state, steps, 'CANCELLED', 'cancelled by the buyer', state.view.buyerId);
    case 'forceConfirm':
      return forceConfirm(state, steps, command.request);
    case 'extendHold':
      return extendHold(state, steps, command.request);
    case 'paymentSucceeded':
      return acceptPayment(state, steps, command.paymentIntentId);
  }
}

/**
 * Commands left when the reservation ended are never dropped silently: a charge that succeeded after the
 * end is settled (the seats again if free, otherwise a refund), and support's actions are noted as ignored.
 */
async function answerLateCommands(state: ReservationState): Promise<void> {
  const { view, input } = state;
  const ignored = `ignored: the reservation had already ended as ${view.status}`;
  if (state.releaseRequest) {
    state.noteSupportAction('forceRelease', state.releaseRequest, ignored);
    state.releaseRequest = undefined;
  }
  for (const command of state.commands.splice(0)) {
    if (command.kind === 'paymentSucceeded' && command.paymentIntentId !== state.soldWith()) {
      const outcome = await settleLatePayment(
        {
          reservationId: view.id,
          paymentIntentId: command.paymentIntentId,
          paymentTaskQueue: input.payments.taskQueue,
        },
        { alreadySoldWith: state.soldWith() },
      );
      log.info('late payment settled', { paymentIntentId: command.paymentIntentId, outcome });
    } else if (command.kind === 'forceConfirm' || command.kind === 'extendHold') {
      state.noteSupportAction(command.kind, command.request, ignored);
    }
  }
}

/**
 * Records the outcome where finance and a finished reservation's readers find it. A payment that arrives
 * meanwhile (its webhook already acknowledged) is settled too: the workflow ends only when no command is
 * left in the same workflow task that completes it.
 */
async function finish(state: ReservationState, steps: Steps): Promise<ReservationView> {
  answerLateCancellation(state);
  do {
    await answerLateCommands(state);
    // A sale records its reservation in its own transaction: started held, there is nothing to add.
    if (!(steps.startedHeld && state.recordedBySale)) await steps.recordReservation(state.snapshot());
    await condition(allHandlersFinished);
  } while (state.hasWork());
  return state.snapshot();
}
