// Owns the reservation workflow's contract, shared by the API, the worker and support tooling: ids,
// input, the reservation view, statuses, and the signal/query/update definitions. Pure: no I/O.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
// Type-only, so erased from the workflow bundle: the gateway's next action for the buyer, and the seat
// store's definition of a request.
import type { NextAction } from '../../activities/payments';
import type { SeatRequest } from '../../src/inventory/seat-request';

const endings = ['CONFIRMED', 'EXPIRED', 'CANCELLED', 'RELEASED', 'REJECTED', 'FAILED'] as const;
export const reservationStatuses = ['PENDING', 'HELD', 'PAYING', ...endings] as const;
export type ReservationStatus = (typeof reservationStatuses)[number];
/** The statuses a reservation ends in: once there, nothing about it changes any more. */
export const terminalStatuses: readonly ReservationStatus[] = endings;

export type { SeatRequest };

/** The seats the API held before starting the workflow (src/checkout/hold.ts). */
export interface HeldSeats {
  seats: { id: string; price: number }[];
  amount: number;
  currency: string;
  /** The hold's end as the seats' lease has it (held_until): the workflow's expiry timer aims there. */
  heldUntil: string;
}

export interface ReservationInput {
  reservationId: string;
  eventId: string;
  buyerId: string;
  request: SeatRequest;
  /** Hash of the create request body; a reused Idempotency-Key with another body is refused. */
  requestFingerprint: string;
  /**
   * Set when the API already holds the seats: the workflow starts HELD. Absent in reservations started
   * before the API took holds (their histories hold inside the workflow), which is what keeps both
   * paths deterministic: the branch is chosen by the input, never by the code's version.
   */
  held?: HeldSeats;
  payments: {
    taskQueue: string;
    /** How long a confirm keeps the seats held while the payment runs. */
    windowSeconds: number;
    /** Workflow timer around one payment attempt. */
    attemptTimeoutSeconds: number;
    maxAttempts: number;
  };
}

export interface SupportAction {
  action: 'forceRelease' | 'forceConfirm' | 'extendHold';
  operator: string;
  reason: string;
  at: string;
  outcome: string;
}

/** The reservation: the fields the API shows its buyer (id, status, seats, amount, expiry, payment) plus what only support sees. */
export interface ReservationView {
  id: string;
  eventId: string;
  buyerId: string;
  status: ReservationStatus;
  seats: { id: string; price: number }[];
  amount: number;
  currency: string;
  expiresAt: string | null;
  orderId?: string;
  payment?: {
    attempts: number;
    lastError?: string;
    paymentIntentId?: string;
    /** While PAYING: what the buyer's client must do to finish (3-D Secure). Shown to the owner only. */
    nextAction?: NextAction;
  };
  reason?: string;
  /** Hash of the request that created it: a retried POST must match (internal; not shown to clients). */
  requestFingerprint?: string;
  /** Why a hold was refused (REJECTED): the domain code and its details, e.g. unavailableSeatIds. */
  rejection?: { code: string; details: Record<string, unknown> };
  supportActions?: SupportAction[];
}

export interface ConfirmRequest {
  paymentMethodId: string;
}

export interface SupportRequest {
  reason: string;
  operator: string;
}

export interface ForceConfirmRequest extends SupportRequest {
  paymentIntentId: string;
  /**
   * Sell with a PaymentIntent made outside the checkout (none of our metadata, e.g. a payment link):
   * support's explicit choice, noted in the reservation's record. Without it such a payment is refused.
   */
  adoptForeignPayment?: boolean;
}

export interface ExtendHoldRequest extends SupportRequest {
  /** Seconds to add to the hold (default 600). */
  seconds?: number;
}

export interface PaymentOutcome {
  paymentIntentId: string;
  status: 'succeeded' | 'failed';
  error?: string;
}

/**
 * Returns the hold's outcome. A refused hold is an answer, not a failed update: the view comes back
 * REJECTED with `rejection` (the domain code and its details) for the API to translate. A reused
 * Idempotency-Key with another body fails the update (IDEMPOTENCY_KEY_REUSED) in its validator.
 */
export const holdUpdate = defineUpdate<ReservationView, [{ requestFingerprint: string }]>('hold');
/**
 * Pays for the held seats; returns the reservation: CONFIRMED, or PAYING with `payment.nextAction` when
 * the card asks for authentication (the outcome then arrives by webhook). A decline fails the update.
 */
export const confirmUpdate = defineUpdate<ReservationView, [ConfirmRequest]>('confirm');
/** The buyer gives the seats back; returns the reservation once the workflow has decided. */
export const cancelUpdate = defineUpdate<ReservationView, []>('cancel');
export const statusQuery = defineQuery<ReservationView>('status');

export const forceReleaseSignal = defineSignal<[SupportRequest]>('forceRelease');
export const forceConfirmSignal = defineSignal<[ForceConfirmRequest]>('forceConfirm');
export const extendHoldSignal = defineSignal<[ExtendHoldRequest]>('extendHold');
/** A PaymentIntent outcome that arrived asynchronously (Stripe webhook). */
export const paymentOutcomeSignal = defineSignal<[PaymentOutcome]>('paymentOutcome');

export const reservationIdPrefix = 'rsv_';
/** The workflow type name; clients start it by name so the API never loads workflow code. */
export const reservationWorkflowType = 'reservationWorkflow';
/** The workflow's signature, for typed client handles without importing workflow code. */
export type ReservationWorkflow = (input: ReservationInput) => Promise<ReservationView>;

/** The order id a reservation's sale creates: derived, so a retried sale can't create a second order. */
export function orderIdFor(reservationId: string): string {
  return `ord_${reservationId.slice(reservationIdPrefix.length)}`;
}
