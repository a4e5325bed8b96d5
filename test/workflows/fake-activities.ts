// In-memory stand-ins for the saga's activities, for workflow tests that must steer one branch (a
// decline, a hang, a commit that fails after the charge). Each records its calls for assertions.
import { ApplicationFailure } from '@temporalio/common';
import { withDomainFailures } from '../../activities/failures';
import { whileHeartbeating } from '../../activities/payments/gateway';
import { createWorkflowStatusActivities } from '../../activities/workflow-status';
import { type CheckoutHolds, heldView } from '../../src/checkout/hold';
import { DomainError } from '../../src/errors';
import type { HoldInput, HoldResult } from '../../src/inventory/seats';
import { type ReservationView, terminalStatuses } from '../../workflows/reservation/contract';

export interface FakeScript {
  holdSeconds: number;
  /** Seats that some other reservation already holds. */
  taken: Set<string>;
  /** Make completeSale fail as if support had force-released the seats a moment earlier. */
  commitFails: boolean;
  /** What checkPaymentAttempt learns from the gateway after a timeout. */
  reconcileStatus: 'succeeded' | 'not_found';
  /** Payment methods whose charge never answers until `releaseHangs` is called. */
  hangingMethods: Set<string>;
  /**
   * Activities that fail for good (non-retryable, no domain code the saga expects): a bug, or retries
   * exhausted. A broken refundPayment is the gateway marking the refund failed (REFUND_FAILED).
   */
  broken: Set<string>;
}

export function createFakeActivities(overrides: Partial<FakeScript> = {}) {
  const script: FakeScript = {
    holdSeconds: 60,
    taken: new Set(),
    commitFails: false,
    reconcileStatus: 'not_found',
    hangingMethods: new Set(['pm_hang']),
    broken: new Set(),
    ...overrides,
  };
  const calls: { name: string; input: unknown }[] = [];
  const charges = new Map<string, string>();
  let releaseHangs: () => void = () => {};
  const hangReleased = new Promise<void>((resolve) => {
    releaseHangs = resolve;
  });
  const record = (name: string, input: unknown) => {
    calls.push({ name, input });
    if (!script.broken.has(name)) return;
    if (name === 'refundPayment')
      throw new DomainError('REFUND_FAILED', 'the gateway marked the refund failed');
    throw ApplicationFailure.create({ type: 'ActivityBroken', message: `${name} broke`, nonRetryable: true });
  };
  /** Reservations as recordReservation last saw them, for the late-payment workflow's loadReservation. */
  const recorded = new Map<string, ReservationView>();
  /** `${activity} ${reservationId}`: the first such call waits for the test's go-ahead. */
  const gates = new Map<string, { reached: () => void; proceed: Promise<void> }>();
  const passGate = async (name: string, reservationId: string) => {
    const gate = gates.get(`${name} ${reservationId}`);
    if (!gate) return;
    gates.delete(`${name} ${reservationId}`);
    gate.reached();
    await gate.proceed;
  };

  /** The in-memory seat store: `script.taken` seats are someone else's; a hold lasts `script.holdSeconds`. */
  function holdInMemory(input: HoldInput): HoldResult {
    record('holdSeats', input);
    const seatIds =
      'seatIds' in input.request
        ? input.request.seatIds
        : ['S-1-1', 'S-1-2'].slice(0, input.request.quantity);
    const unavailable = seatIds.filter((id) => script.taken.has(id));
    if (unavailable.length > 0) {
      throw new DomainError('SEATS_UNAVAILABLE', 'seats taken', { unavailableSeatIds: unavailable });
    }
    return {
      seats: seatIds.map((id) => ({ id, price: 2500 })),
      amount: 2500 * seatIds.length,
      currency: 'EUR',
      holdSeconds: script.holdSeconds,
      heldUntil: new Date(Date.now() + script.holdSeconds * 1000).toISOString(),
    };
  }

  /** The API's side of a hold (src/checkout/hold.ts), on the in-memory seat store. */
  const heldByApi = new Map<string, HoldResult>();
  const holds: CheckoutHolds = {
    async take(input) {
      const view = recorded.get(input.reservationId);
      if (heldByApi.has(input.reservationId) && view) {
        const { id, eventId, buyerId, status, amount, currency } = view;
        // No fingerprint: a retried POST is answered by the workflow, which these suites steer.
        const row = {
          id,
          eventId,
          buyerId,
          status,
          amount,
          currency,
          expiresAt: view.expiresAt ?? null,
          seatIds: view.seats.map((seat) => seat.id),
          orderId: null,
          reason: null,
          requestFingerprint: null,
        };
        return { kind: 'recorded', ended: terminalStatuses.includes(status), row };
      }
      const hold = holdInMemory(input);
      heldByApi.set(input.reservationId, hold);
      // Like the real one, the API records the reservation HELD before its workflow starts.
      recorded.set(input.reservationId, heldView(input, hold));
      return { kind: 'new', hold };
    },
    async resume(input) {
      return heldByApi.get(input.reservationId) ?? holdInMemory(input);
    },
  };

  // Real: it asks the test's own Temporal server through the worker's client.
  const workflowStatus = createWorkflowStatusActivities();
  const main = withDomainFailures({
    async reservationWorkflowState(input: { reservationId: string }) {
      record('reservationWorkflowState', input);
      return workflowStatus.reservationWorkflowState(input);
    },
    async holdSeats(input: HoldInput) {
      return holdInMemory(input);
    },
    async releaseSeats(input: { reservationId: string; reason: string; actor: string }) {
      record('releaseSeats', input);
      await passGate('releaseSeats', input.reservationId);
      return { seatIds: [] };
    },
    async extendHold(input: { reservationId: string; heldUntil: string }) {
      record('extendHold', input);
    },
    async syncLease(input: { reservationId: string; heldUntil: string }) {
      record('syncLease', input);
      return { seatIds: [] };
    },
    async recordReservation(view: ReservationView) {
      record('recordReservation', view);
      recorded.set(view.id, view);
    },
    async loadReservation(input: { reservationId: string }) {
      record('loadReservation', input);
      await passGate('loadReservation', input.reservationId);
      const view = recorded.get(input.reservationId);
      return (
        view && {
          id: view.id,
          eventId: view.eventId,
          buyerId: view.buyerId,
          status: view.status,
          seatIds: view.seats.map((seat) => seat.id),
          amount: view.amount,
          currency: view.currency,
          expiresAt: view.expiresAt,
          orderId: view.orderId ?? null,
          reason: view.reason ?? null,
        }
      );
    },
    async completeSale(input: { reservationId: string; orderId: string }) {
      record('completeSale', input);
      if (script.commitFails)
        throw new DomainError('SEATS_NOT_HELD', 'the seats are no longer held by this reservation');
      return { orderId: input.orderId };
    },
  });

  const payments = withDomainFailures({
    async chargePayment(input: {
      reservationId: string;
      attempt: number;
      paymentMethodId: string;
      amount: number;
    }) {
      record('chargePayment', input);
      const key = `${input.reservationId}:charge:${input.attempt}`;
      if (script.hangingMethods.has(input.paymentMethodId)) {
        // Like the real charge: heartbeating, so the workflow's cancellation ends the wait.
        await whileHeartbeating(() => hangReleased);
        throw new Error('gateway connection reset');
      }
      if (input.paymentMethodId.startsWith('pm_card_chargeDeclined')) {
        throw new DomainError('PAYMENT_DECLINED', 'Your card was declined.', {
          declineCode: 'generic_decline',
        });
      }
      const paymentIntentId = charges.get(key) ?? `pi_${charges.size + 1}_${input.reservationId.slice(-6)}`;
      charges.set(key, paymentIntentId);
      if (input.paymentMethodId === 'pm_card_authenticationRequired') {
        const nextAction = { type: 'use_stripe_sdk', clientSecret: `${paymentIntentId}_secret_fake` };
        return { status: 'requires_action' as const, paymentIntentId, nextAction };
      }
      return { status: 'succeeded' as const, paymentIntentId };
    },
    async checkPaymentAttempt(input: { reservationId: string; attempt: number }) {
      record('checkPaymentAttempt', input);
      if (script.reconcileStatus === 'succeeded') {
        return { status: 'succeeded' as const, paymentIntentId: `pi_late_${input.reservationId.slice(-6)}` };
      }
      return { status: 'not_found' as const };
    },
    async verifyPayment(input: { paymentIntentId: string; amount: number; adoptForeignPayment?: boolean }) {
      record('verifyPayment', input);
      // `pi_foreign...`: a payment made outside the checkout, accepted only when support adopts it.
      if (input.paymentIntentId.startsWith('pi_foreign') && input.adoptForeignPayment) {
        return { paymentIntentId: input.paymentIntentId };
      }
      if (!input.paymentIntentId.startsWith('pi_ok')) {
        throw new DomainError('PAYMENT_NOT_VERIFIED', `${input.paymentIntentId} has not succeeded`);
      }
      return { paymentIntentId: input.paymentIntentId };
    },
    async refundPayment(input: { refundId: string; paymentIntentId: string; amount: number }) {
      record('refundPayment', input);
      return { stripeRefundId: `re_${input.refundId}`, status: 'succeeded' as const };
    },
  });

  return {
    script,
    holds,
    main,
    payments,
    calls,
    callsTo: (name: string) => calls.filter((call) => call.name === name),
    releaseHangs: () => releaseHangs(),
    /**
     * Holds the first call of activity `name` for `reservationId` (releaseSeats, loadReservation) until
     * `proceed()`; `reached` resolves once that call has started.
     */
    gate(name: 'releaseSeats' | 'loadReservation', reservationId: string) {
      let reached: () => void = () => {};
      let proceed: () => void = () => {};
      const started = new Promise<void>((resolve) => {
        reached = resolve;
      });
      const released = new Promise<void>((resolve) => {
        proceed = resolve;
      });
      gates.set(`${name} ${reservationId}`, { reached, proceed: released });
      return { reached: started, proceed: () => proceed() };
    },
  };
}
