// Owns the checkout saga: one workflow per reservation. Hold the seats, wait on a durable timer for the
// buyer, pay through the rate-limited payment queue, then commit the sale or compensate (release the
// seats, refund a charge that can no longer become a ticket). Expiry and payment timeouts are timers.
import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  CancellationScope,
  condition,
  isCancellation,
  log,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  sleep,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { InventoryActivities } from '../../activities/inventory';
import type { OrderActivities } from '../../activities/orders';
import type { PaymentActivities } from '../../activities/payments';
import { isErrorCode } from '../../src/errors';
import { gatewayCall, inventoryStep, mustComplete } from '../activity-options';
import { settleLatePayment } from '../late-payment/workflow';
import {
  HoldExpiresAt,
  OrderId,
  PaymentIntentId,
  ReservationStatus as ReservationStatusKey,
  SeatCount,
} from '../search-attributes';
import {
  cancelUpdate,
  confirmUpdate,
  extendHoldSignal,
  type ForceConfirmRequest,
  forceConfirmSignal,
  forceReleaseSignal,
  holdUpdate,
  orderIdFor,
  type PaymentOutcome,
  paymentOutcomeSignal,
  type ReservationInput,
  type ReservationStatus,
  type ReservationView,
  type SupportAction,
  type SupportRequest,
  statusQuery,
  terminalStatuses,
} from './contract';

/** After a decline the buyer keeps at least this long to try another card. */
const retryGraceMs = 2 * 60_000;
const defaultExtendSeconds = 600;

type Command =
  | { kind: 'confirm'; attempt: number; paymentMethodId: string }
  | { kind: 'cancel' }
  | { kind: 'forceRelease'; request: SupportRequest }
  | { kind: 'forceConfirm'; request: ForceConfirmRequest }
  | { kind: 'extendHold'; request: SupportRequest & { seconds?: number } }
  | { kind: 'paymentSucceeded'; paymentIntentId: string };

type AttemptResult =
  | { kind: 'confirmed' }
  | { kind: 'declined'; message: string }
  | { kind: 'failed'; message: string }
  | { kind: 'ended' };

type ChargeOutcome =
  | { kind: 'succeeded'; paymentIntentId: string }
  | { kind: 'declined'; message: string }
  | { kind: 'notCharged'; message: string }
  | { kind: 'forceReleased'; request: SupportRequest };

function failureCode(error: unknown): string | undefined {
  const cause = error instanceof ActivityFailure ? error.cause : error;
  return cause instanceof ApplicationFailure ? (cause.type ?? undefined) : undefined;
}

function failureMessage(error: unknown): string {
  const cause = error instanceof ActivityFailure && error.cause ? error.cause : error;
  return cause instanceof Error ? cause.message : String(error);
}

function businessFailure(code: string, message: string, view?: ReservationView): ApplicationFailure {
  return ApplicationFailure.create({ type: code, message, nonRetryable: true, details: view ? [view] : [] });
}

export async function reservationWorkflow(input: ReservationInput): Promise<ReservationView> {
  // One proxy per step, so each activity carries a summary naming its step in the Temporal UI.
  const { holdSeats } = proxyLocalActivities<InventoryActivities>({
    ...inventoryStep,
    summary: 'hold seats',
  });
  const { recordReservation } = proxyLocalActivities<OrderActivities>({
    ...inventoryStep,
    summary: 'record reservation',
  });
  const { releaseSeats } = proxyActivities<InventoryActivities>({
    ...mustComplete,
    summary: 'release seats',
  });
  const { extendHold } = proxyActivities<InventoryActivities>({ ...mustComplete, summary: 'extend hold' });
  const { completeSale } = proxyActivities<OrderActivities>({
    ...mustComplete,
    summary: 'commit seats, create order',
  });
  const gateway = proxyActivities<PaymentActivities>(gatewayCall(input.payments.taskQueue));
  const { refundPayment } = proxyActivities<PaymentActivities>({
    ...mustComplete,
    taskQueue: input.payments.taskQueue,
    summary: 'refund the charge',
  });
  const { verifyPayment } = proxyActivities<PaymentActivities>({
    ...gatewayCall(input.payments.taskQueue),
    summary: 'verify payment with Stripe',
  });
  const { reconcilePayment } = proxyActivities<PaymentActivities>({
    ...gatewayCall(input.payments.taskQueue),
    summary: 'reconcile payment with Stripe',
  });

  // ---- State -------------------------------------------------------------------------------------
  const view: ReservationView = {
    id: input.reservationId,
    eventId: input.eventId,
    buyerId: input.buyerId,
    status: 'PENDING',
    seats: [],
    amount: 0,
    currency: '',
    expiresAt: null,
    payment: { attempts: 0 },
    supportActions: [],
    requestFingerprint: input.requestFingerprint,
  };
  let holdExpiresAtMs = 0;
  const commands: Command[] = [];
  const attemptResults = new Map<number, AttemptResult>();
  const asyncOutcomes = new Map<string, PaymentOutcome>();
  let confirmInFlight = false;

  const isTerminal = () => terminalStatuses.includes(view.status);
  const soldWith = () => (view.status === 'CONFIRMED' ? view.payment?.paymentIntentId : undefined);
  // Handlers return copies: the workflow sandbox has no structuredClone, and the view is plain JSON.
  const snapshot = (): ReservationView => JSON.parse(JSON.stringify(view));

  function publish(status: ReservationStatus, reason?: string) {
    view.status = status;
    if (reason !== undefined) view.reason = reason;
    view.expiresAt = holdExpiresAtMs ? new Date(holdExpiresAtMs).toISOString() : null;
    upsertSearchAttributes([
      { key: ReservationStatusKey, value: status },
      { key: SeatCount, value: view.seats.length },
      ...(holdExpiresAtMs ? [{ key: HoldExpiresAt, value: new Date(holdExpiresAtMs) }] : []),
      ...(view.payment?.paymentIntentId
        ? [{ key: PaymentIntentId, value: view.payment.paymentIntentId }]
        : []),
      ...(view.orderId ? [{ key: OrderId, value: view.orderId }] : []),
    ]);
    setCurrentDetails(
      [
        `**${status}**${reason ? ` — ${reason}` : ''}`,
        `Buyer \`${view.buyerId}\` · event \`${view.eventId}\``,
        `Seats: ${view.seats.map((seat) => seat.id).join(', ') || 'none'} · ${view.amount} ${view.currency}`,
        view.expiresAt && !isTerminal() ? `Hold expires ${view.expiresAt}` : '',
        view.payment?.attempts
          ? `Payment attempts: ${view.payment.attempts}${view.payment.lastError ? ` (last: ${view.payment.lastError})` : ''}`
          : '',
        view.orderId ? `Order \`${view.orderId}\`` : '',
      ]
        .filter(Boolean)
        .join('\n\n'),
    );
    log.info('reservation transition', { reservationId: view.id, status, reason });
  }

  function noteSupportAction(action: SupportAction['action'], request: SupportRequest, outcome: string) {
    view.supportActions?.push({
      action,
      operator: request.operator,
      reason: request.reason,
      at: new Date().toISOString(),
      outcome,
    });
  }

  // ---- Messages ----------------------------------------------------------------------------------
  setHandler(statusQuery, snapshot);

  setHandler(
    holdUpdate,
    async () => {
      await condition(() => view.status !== 'PENDING');
      // A refused hold is an answer, not an update failure: the view carries `rejection` for the API.
      return snapshot();
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
      if (confirmInFlight)
        throw businessFailure(
          'RESERVATION_NOT_ACTIVE',
          'a payment for this reservation is already in progress',
        );
      confirmInFlight = true;
      const attempt = (view.payment?.attempts ?? 0) + 1;
      commands.push({ kind: 'confirm', attempt, paymentMethodId });
      await condition(() => attemptResults.has(attempt) || isTerminal());
      confirmInFlight = false;
      const result = attemptResults.get(attempt) ?? { kind: 'ended' };
      switch (result.kind) {
        case 'confirmed':
          return snapshot();
        case 'declined':
          throw businessFailure('PAYMENT_DECLINED', result.message, snapshot());
        case 'failed':
          throw businessFailure('PAYMENT_FAILED', result.message, snapshot());
        case 'ended':
          throw businessFailure(
            'RESERVATION_NOT_ACTIVE',
            `the reservation ended as ${view.status}`,
            snapshot(),
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
        if (view.status === 'EXPIRED' || (view.status === 'HELD' && Date.now() >= holdExpiresAtMs)) {
          throw businessFailure('RESERVATION_EXPIRED', 'the hold on these seats has expired');
        }
        if (view.status === 'CONFIRMED') {
          throw businessFailure('RESERVATION_CONFIRMED', 'this reservation is already confirmed');
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
      if (!isTerminal()) {
        commands.push({ kind: 'cancel' });
        await condition(isTerminal);
      }
      if (view.status === 'CONFIRMED') {
        throw businessFailure(
          'RESERVATION_CONFIRMED',
          'the payment went through; refund the order instead',
          snapshot(),
        );
      }
      return snapshot();
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

  // Signals can't be refused, and support types them by hand: a missing operator or reason must never
  // reach an activity (seat_events requires both) and wedge it in retries.
  const supportRequest = (request: Partial<SupportRequest> | undefined): SupportRequest => ({
    operator:
      typeof request?.operator === 'string' && request.operator ? request.operator : 'unknown operator',
    reason: typeof request?.reason === 'string' && request.reason ? request.reason : 'no reason given',
  });
  setHandler(forceReleaseSignal, (request) => {
    commands.push({ kind: 'forceRelease', request: supportRequest(request) });
  });
  setHandler(forceConfirmSignal, (request) => {
    commands.push({
      kind: 'forceConfirm',
      request: { ...supportRequest(request), paymentIntentId: String(request?.paymentIntentId ?? '') },
    });
  });
  setHandler(extendHoldSignal, (request) => {
    const seconds = Number(request?.seconds);
    commands.push({
      kind: 'extendHold',
      request: { ...supportRequest(request), seconds: Number.isFinite(seconds) ? seconds : undefined },
    });
  });
  setHandler(paymentOutcomeSignal, (outcome) => {
    asyncOutcomes.set(outcome.paymentIntentId, outcome);
    // Money that arrives outside an awaited attempt (a late webhook) is never kept silently.
    if (outcome.status === 'succeeded')
      commands.push({ kind: 'paymentSucceeded', paymentIntentId: outcome.paymentIntentId });
  });

  // ---- Saga steps --------------------------------------------------------------------------------
  async function release(status: ReservationStatus, reason: string, actor: string) {
    await CancellationScope.nonCancellable(() => releaseSeats({ reservationId: view.id, reason, actor }));
    publish(status, reason);
  }

  /** Commits the seats and creates the order; if the seats are gone, refunds the charge instead. */
  async function sell(paymentIntentId: string, actor: string): Promise<void> {
    const orderId = orderIdFor(view.id);
    try {
      await completeSale({
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
      view.orderId = orderId;
      publish('CONFIRMED');
    } catch (error) {
      if (failureCode(error) !== 'SEATS_NOT_HELD') throw error;
      // Compensation: the money can no longer become a ticket, so it goes back automatically.
      await CancellationScope.nonCancellable(async () => {
        await refundPayment({
          refundId: `${view.id}-compensation`,
          reservationId: view.id,
          paymentIntentId,
          amount: view.amount,
          currency: view.currency,
          reason: 'seats could not be committed after the charge',
          actor: 'system',
        });
        await releaseSeats({ reservationId: view.id, reason: 'sale failed after charge', actor: 'system' });
      });
      publish(
        'FAILED',
        `seats could not be committed after payment (${failureMessage(error)}); the charge was refunded`,
      );
    }
  }

  /** One charge attempt, bounded by a workflow timer, interruptible by support's force-release. */
  async function charge(attempt: number, paymentMethodId: string): Promise<ChargeOutcome> {
    const chargeScope = new CancellationScope();
    const timerScope = new CancellationScope();
    const charged = chargeScope.run(() =>
      gateway.chargePayment.executeWithOptions(
        { ...gatewayCall(input.payments.taskQueue), summary: `charge attempt ${attempt}` },
        [
          {
            reservationId: view.id,
            attempt,
            paymentMethodId,
            amount: view.amount,
            currency: view.currency,
            buyerId: view.buyerId,
            eventId: view.eventId,
          },
        ],
      ),
    );
    const timedOut = timerScope.run(() =>
      sleep(input.payments.attemptTimeoutSeconds * 1000, { summary: `payment attempt ${attempt} timeout` }),
    );
    const forceRelease = condition(() => commands.some((c) => c.kind === 'forceRelease'));

    const first = await Promise.race([
      charged.then(
        (result) => ({ kind: 'charged' as const, result }),
        (error: unknown) => ({ kind: 'error' as const, error }),
      ),
      timedOut.then(
        () => ({ kind: 'timeout' as const }),
        () => ({ kind: 'timerCancelled' as const }),
      ),
      forceRelease.then(() => ({ kind: 'forceRelease' as const })),
    ]);
    timerScope.cancel();
    if (first.kind !== 'charged' && first.kind !== 'error') chargeScope.cancel();
    charged.catch(() => {});

    if (first.kind === 'charged') {
      view.payment = { ...view.payment, attempts: attempt, paymentIntentId: first.result.paymentIntentId };
      if (first.result.status === 'succeeded')
        return { kind: 'succeeded', paymentIntentId: first.result.paymentIntentId };
      return awaitAsyncOutcome(attempt, first.result.paymentIntentId);
    }
    if (first.kind === 'error') {
      if (failureCode(first.error) === 'PAYMENT_DECLINED')
        return { kind: 'declined', message: failureMessage(first.error) };
      if (!isCancellation(first.error))
        log.warn('charge failed', { attempt, error: failureMessage(first.error) });
    }
    // Timeout, force-release or an unexpected failure: ask Stripe what really happened before deciding.
    const truth = await CancellationScope.nonCancellable(() =>
      reconcilePayment({ reservationId: view.id, attempt }),
    );
    if (truth.paymentIntentId)
      view.payment = { ...view.payment, attempts: attempt, paymentIntentId: truth.paymentIntentId };
    if (truth.status === 'succeeded' && truth.paymentIntentId)
      return { kind: 'succeeded', paymentIntentId: truth.paymentIntentId };
    const forced = commands.find((c) => c.kind === 'forceRelease');
    if (forced?.kind === 'forceRelease') return { kind: 'forceReleased', request: forced.request };
    return {
      kind: 'notCharged',
      message: 'the payment did not complete in time and was not charged; try again',
    };
  }

  /** 3-D Secure and other asynchronous outcomes arrive by webhook; the payment window bounds the wait. */
  async function awaitAsyncOutcome(attempt: number, paymentIntentId: string): Promise<ChargeOutcome> {
    const arrived = await condition(
      () => asyncOutcomes.has(paymentIntentId) || commands.some((c) => c.kind === 'forceRelease'),
      Math.max(holdExpiresAtMs - Date.now(), 1),
    );
    const outcome = asyncOutcomes.get(paymentIntentId);
    if (arrived && outcome?.status === 'succeeded') return { kind: 'succeeded', paymentIntentId };
    if (arrived && outcome?.status === 'failed')
      return { kind: 'declined', message: outcome.error ?? 'payment failed' };
    const truth = await reconcilePayment({ reservationId: view.id, attempt });
    if (truth.status === 'succeeded') return { kind: 'succeeded', paymentIntentId };
    const forced = commands.find((c) => c.kind === 'forceRelease');
    if (forced?.kind === 'forceRelease') return { kind: 'forceReleased', request: forced.request };
    return { kind: 'notCharged', message: 'the payment was not completed within the payment window' };
  }

  async function pay(attempt: number, paymentMethodId: string): Promise<void> {
    const buyerHoldExpiresAtMs = holdExpiresAtMs;
    holdExpiresAtMs = Math.max(holdExpiresAtMs, Date.now() + input.payments.windowSeconds * 1000);
    view.payment = { ...view.payment, attempts: attempt };
    publish('PAYING');
    const outcome = await charge(attempt, paymentMethodId);
    switch (outcome.kind) {
      case 'succeeded':
        await sell(outcome.paymentIntentId, 'buyer');
        attemptResults.set(attempt, view.status === 'CONFIRMED' ? { kind: 'confirmed' } : { kind: 'ended' });
        return;
      case 'forceReleased': {
        commands.splice(
          commands.findIndex((c) => c.kind === 'forceRelease'),
          1,
        );
        noteSupportAction('forceRelease', outcome.request, 'released during payment; payment not taken');
        await release(
          'RELEASED',
          `force-released by ${outcome.request.operator}: ${outcome.request.reason}`,
          outcome.request.operator,
        );
        attemptResults.set(attempt, { kind: 'ended' });
        return;
      }
      case 'declined':
      case 'notCharged': {
        view.payment = { ...view.payment, attempts: attempt, lastError: outcome.message };
        if (attempt >= input.payments.maxAttempts) {
          await release('FAILED', `payment failed ${attempt} times`, 'system');
        } else {
          holdExpiresAtMs = Math.max(buyerHoldExpiresAtMs, Date.now() + retryGraceMs);
          publish('HELD');
        }
        attemptResults.set(
          attempt,
          outcome.kind === 'declined'
            ? { kind: 'declined', message: outcome.message }
            : { kind: 'failed', message: outcome.message },
        );
        return;
      }
    }
  }

  async function forceConfirm(request: ForceConfirmRequest): Promise<void> {
    if (!/^pi_\w+$/.test(request.paymentIntentId)) {
      noteSupportAction(
        'forceConfirm',
        request,
        'rejected: paymentIntentId must be a Stripe PaymentIntent id (pi_...)',
      );
      publish(view.status, view.reason);
      return;
    }
    try {
      await verifyPayment({
        paymentIntentId: request.paymentIntentId,
        amount: view.amount,
        currency: view.currency,
        reservationId: view.id,
      });
    } catch (error) {
      if (failureCode(error) !== 'PAYMENT_NOT_VERIFIED') throw error;
      noteSupportAction('forceConfirm', request, `rejected: ${failureMessage(error)}`);
      publish(view.status, view.reason);
      return;
    }
    view.payment = {
      ...view.payment,
      attempts: view.payment?.attempts ?? 0,
      paymentIntentId: request.paymentIntentId,
    };
    noteSupportAction('forceConfirm', request, `confirmed with ${request.paymentIntentId}`);
    await sell(request.paymentIntentId, request.operator);
  }

  /** A charge that succeeded outside an awaited attempt: sell with it if Stripe confirms it is ours. */
  async function acceptPayment(paymentIntentId: string): Promise<void> {
    try {
      await verifyPayment({
        paymentIntentId,
        amount: view.amount,
        currency: view.currency,
        reservationId: view.id,
      });
    } catch (error) {
      if (failureCode(error) !== 'PAYMENT_NOT_VERIFIED') throw error;
      log.warn('asynchronous payment not verified', { paymentIntentId, error: failureMessage(error) });
      return;
    }
    view.payment = { ...view.payment, attempts: view.payment?.attempts ?? 0, paymentIntentId };
    await sell(paymentIntentId, 'payment-webhook');
  }

  async function extend(request: SupportRequest & { seconds?: number }): Promise<void> {
    const seconds =
      request.seconds && request.seconds > 0 ? Math.min(request.seconds, 86_400) : defaultExtendSeconds;
    holdExpiresAtMs = Math.max(holdExpiresAtMs, Date.now()) + seconds * 1000;
    await extendHold({ reservationId: view.id, heldUntil: new Date(holdExpiresAtMs).toISOString() });
    noteSupportAction('extendHold', request, `hold now expires ${new Date(holdExpiresAtMs).toISOString()}`);
    publish(view.status);
  }

  // ---- The process -------------------------------------------------------------------------------
  // 1. Hold the seats (all or nothing). A rejection ends the reservation at once.
  try {
    const hold = await holdSeats({
      reservationId: input.reservationId,
      buyerId: input.buyerId,
      eventId: input.eventId,
      request: input.request,
    });
    view.seats = hold.seats;
    view.amount = hold.amount;
    view.currency = hold.currency;
    holdExpiresAtMs = Date.now() + hold.holdSeconds * 1000;
    publish('HELD');
  } catch (error) {
    const cause = error instanceof ActivityFailure ? error.cause : error;
    if (!(cause instanceof ApplicationFailure) || !isErrorCode(cause.type)) throw error;
    // The hold update answers the API with the domain code (409/404/422) and its details.
    const [details] = cause.details ?? [];
    view.rejection = { code: cause.type, details: (details ?? {}) as Record<string, unknown> };
    publish('REJECTED', failureMessage(error));
    await recordReservation(snapshot());
    await condition(allHandlersFinished);
    return snapshot();
  }
  await recordReservation(snapshot());

  // 2. Until the reservation ends: the buyer pays or cancels, support acts, or the hold expires.
  while (!isTerminal()) {
    const remainingMs = holdExpiresAtMs - Date.now();
    if (remainingMs <= 0) {
      await release('EXPIRED', 'the hold expired before payment', 'system');
      break;
    }
    if (!(await condition(() => commands.length > 0, remainingMs))) continue;
    const command = commands.shift() as Command;
    switch (command.kind) {
      case 'confirm':
        await pay(command.attempt, command.paymentMethodId);
        break;
      case 'cancel':
        await release('CANCELLED', 'cancelled by the buyer', view.buyerId);
        break;
      case 'forceRelease':
        noteSupportAction('forceRelease', command.request, 'released');
        await release(
          'RELEASED',
          `force-released by ${command.request.operator}: ${command.request.reason}`,
          command.request.operator,
        );
        break;
      case 'forceConfirm':
        await forceConfirm(command.request);
        break;
      case 'extendHold':
        await extend(command.request);
        break;
      case 'paymentSucceeded':
        await acceptPayment(command.paymentIntentId);
        break;
    }
  }

  // Support actions that arrived too late are answered in the record, never dropped silently; a charge
  // that succeeded after the reservation ended is settled: seats again if free, otherwise a refund.
  for (const command of commands.splice(0)) {
    if (command.kind === 'paymentSucceeded' && command.paymentIntentId !== soldWith()) {
      const outcome = await settleLatePayment(
        {
          reservationId: view.id,
          paymentIntentId: command.paymentIntentId,
          paymentTaskQueue: input.payments.taskQueue,
        },
        { alreadySoldWith: soldWith() },
      );
      log.info('late payment settled', { paymentIntentId: command.paymentIntentId, outcome });
      continue;
    }
    if (command.kind === 'forceRelease' || command.kind === 'forceConfirm' || command.kind === 'extendHold') {
      noteSupportAction(
        command.kind,
        command.request,
        `ignored: the reservation had already ended as ${view.status}`,
      );
    }
  }

  // 3. Record the outcome where finance and a finished reservation's readers find it.
  await recordReservation(snapshot());
  await condition(allHandlersFinished);
  return snapshot();
}
