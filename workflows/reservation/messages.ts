// Owns the reservation workflow's message handlers: the status query, the buyer's updates (hold,
// confirm, cancel) with validators that refuse bad commands before they reach history, and support's
// and the gateway's signals. Handlers only queue work; the workflow's main loop carries it out.
import { CancellationScope, condition, setHandler } from '@temporalio/workflow';
import { businessFailure } from '../failures';
import {
  cancelUpdate,
  confirmUpdate,
  extendHoldSignal,
  forceConfirmSignal,
  forceReleaseSignal,
  holdUpdate,
  paymentOutcomeSignal,
  type SupportRequest,
  statusQuery,
} from './contract';
import type { ReservationState } from './state';

/**
 * Waits in a handler for the saga to decide. Shielded from Temporal's cancel request, which the saga
 * carries out as a release: the caller gets the outcome, not a cancelled update.
 */
function until(decided: () => boolean): Promise<void> {
  return CancellationScope.nonCancellable(() => condition(decided));
}

export function registerMessageHandlers(state: ReservationState): void {
  const { input, view } = state;
  setHandler(statusQuery, () => state.snapshot());

  // Reservations started before the API took holds itself were held through this update (Update-with-
  // Start); it stays registered so they, and their histories, still run.
  setHandler(
    holdUpdate,
    async () => {
      await until(() => view.status !== 'PENDING');
      // A refused hold is an answer, not an update failure: the view carries `rejection` for the API.
      return state.snapshot();
    },
    {
      validator: ({ requestFingerprint }) => {
        if (requestFingerprint !== input.requestFingerprint) {
          throw businessFailure(
            'IDEMPOTENCY_KEY_REUSED',
            'this Idempotency-Key was used with a different request body',
          );
        }
      },
    },
  );

  setHandler(
    confirmUpdate,
    async ({ paymentMethodId }) => {
      if (state.confirmInFlight)
        throw businessFailure(
          'RESERVATION_NOT_ACTIVE',
          'a payment for this reservation is already in progress',
        );
      state.confirmInFlight = true;
      const attempt = (view.payment?.attempts ?? 0) + 1;
      state.commands.push({ kind: 'confirm', attempt, paymentMethodId });
      await until(() => state.attemptResults.has(attempt) || state.isTerminal());
      state.confirmInFlight = false;
      const result = state.attemptResults.get(attempt) ?? { kind: 'ended' };
      switch (result.kind) {
        case 'confirmed':
        case 'awaitingAction':
          return state.snapshot();
        case 'declined':
          throw businessFailure('PAYMENT_DECLINED', result.message, state.snapshot());
        case 'failed':
          throw businessFailure('PAYMENT_FAILED', result.message, state.snapshot());
        case 'ended':
          throw businessFailure(
            'RESERVATION_NOT_ACTIVE',
            `the reservation ended as ${view.status}`,
            state.snapshot(),
          );
      }
    },
    {
      validator: ({ paymentMethodId }) => {
        if (
          typeof paymentMethodId !== 'string' ||
          paymentMethodId.length === 0 ||
          paymentMethodId.length > 255
        ) {
          throw businessFailure('VALIDATION_FAILED', 'paymentMethodId must be a non-empty string');
        }
        if (view.status === 'EXPIRED' || (view.status === 'HELD' && Date.now() >= state.holdExpiresAtMs)) {
          throw businessFailure('RESERVATION_EXPIRED', 'the hold on these seats has expired');
        }
        if (view.status === 'CONFIRMED') {
          throw businessFailure('RESERVATION_CONFIRMED', 'this reservation is already confirmed');
        }
        if (state.cancelRequested) {
          throw businessFailure('RESERVATION_NOT_ACTIVE', 'the reservation is being cancelled');
        }
        if (view.status !== 'HELD') {
          throw businessFailure('RESERVATION_NOT_ACTIVE', `the reservation is ${view.status}, not HELD`);
        }
      },
    },
  );

  setHandler(
    cancelUpdate,
    async () => {
      if (!state.isTerminal()) {
        state.commands.push({ kind: 'cancel' });
        await until(() => state.isTerminal());
      }
      if (view.status === 'CONFIRMED') {
        throw businessFailure(
          'RESERVATION_CONFIRMED',
          'the payment went through; refund the order instead',
          state.snapshot(),
        );
      }
      return state.snapshot();
    },
    {
      validator: () => {
        if (view.status === 'CONFIRMED') {
          throw businessFailure(
            'RESERVATION_CONFIRMED',
            'this reservation is confirmed; refund the order instead',
          );
        }
      },
    },
  );

  // Signals sent before the workflow's first task has run are handed over when their handler is set
  // below, type by type, so their order across types is this order; sent later, they keep their own.
  setHandler(forceReleaseSignal, (request) => {
    const asked = supportRequest(request);
    // One release is enough: a second click while the first is pending is noted, not queued.
    if (state.releaseRequest)
      state.noteSupportAction('forceRelease', asked, 'ignored: a release is already pending');
    else state.releaseRequest = asked;
  });
  setHandler(forceConfirmSignal, (request) => {
    state.commands.push({
      kind: 'forceConfirm',
      request: {
        ...supportRequest(request),
        paymentIntentId: String(request?.paymentIntentId ?? ''),
        // Only a literal true adopts: a hand-typed "false" or "yes" must not sell with a stranger's payment.
        ...(request?.adoptForeignPayment === true && { adoptForeignPayment: true }),
      },
    });
  });
  setHandler(extendHoldSignal, (request) => {
    const seconds = Number(request?.seconds);
    state.commands.push({
      kind: 'extendHold',
      request: { ...supportRequest(request), seconds: Number.isFinite(seconds) ? seconds : undefined },
    });
  });
  setHandler(paymentOutcomeSignal, (outcome) => {
    state.asyncOutcomes.set(outcome.paymentIntentId, outcome);
    // Money that arrives outside an awaited attempt (a late webhook) is never kept silently.
    if (outcome.status === 'succeeded')
      state.commands.push({ kind: 'paymentSucceeded', paymentIntentId: outcome.paymentIntentId });
  });
}

/**
 * Signals can't be refused, and support types them by hand: a missing operator or reason must never
 * reach an activity (seat_events requires both) and wedge it in retries.
 */
function supportRequest(request: Partial<SupportRequest> | undefined): SupportRequest {
  return {
    operator:
      typeof request?.operator === 'string' && request.operator ? request.operator : 'unknown operator',
    reason: typeof request?.reason === 'string' && request.reason ? request.reason : 'no reason given',
  };
}
