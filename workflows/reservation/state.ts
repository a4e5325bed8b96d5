// Owns a reservation's state while its workflow runs: the view the API and support read, the hold's
// deadline, what the buyer and support asked for and not yet handled, and how every transition is
// published (status, search attributes, the Temporal UI's live details, a log line).
import { log, setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import type { NextAction } from '../../activities/payments';
import {
  HoldExpiresAt,
  OrderId,
  PaymentIntentId,
  ReservationStatus as ReservationStatusKey,
  SeatCount,
} from '../search-attributes';
import {
  type ExtendHoldRequest,
  type ForceConfirmRequest,
  type PaymentOutcome,
  type ReservationInput,
  type ReservationStatus,
  type ReservationView,
  type SupportAction,
  type SupportRequest,
  terminalStatuses,
} from './contract';

/** What the buyer or support asked for, handled one at a time by the workflow's main loop. */
export type Command =
  | { kind: 'confirm'; attempt: number; paymentMethodId: string }
  | { kind: 'cancel' }
  | { kind: 'forceConfirm'; request: ForceConfirmRequest }
  | { kind: 'extendHold'; request: ExtendHoldRequest }
  | { kind: 'paymentSucceeded'; paymentIntentId: string };

/** How one payment attempt ended, as the confirm update that started it answers the buyer. */
export type AttemptResult =
  | { kind: 'confirmed' }
  /** Still PAYING: the buyer must authenticate (3-D Secure); the view carries `payment.nextAction`. */
  | { kind: 'awaitingAction' }
  | { kind: 'declined'; message: string }
  | { kind: 'failed'; message: string }
  | { kind: 'ended' };

export class ReservationState {
  readonly view: ReservationView;
  /** When the seats go back on sale unless paid for: the hold's end, or the payment window's. */
  holdExpiresAtMs = 0;
  readonly commands: Command[] = [];
  /**
   * Support's force-release, once asked and not yet carried out. It goes before queued commands and
   * interrupts a payment attempt in flight, so it is a field rather than a place in the queue.
   */
  releaseRequest: SupportRequest | undefined;
  readonly attemptResults = new Map<number, AttemptResult>();
  /** PaymentIntent outcomes that arrived by webhook (3-D Secure and other asynchronous payments). */
  readonly asyncOutcomes = new Map<string, PaymentOutcome>();
  confirmInFlight = false;
  /** Temporal's cancel request (UI, CLI), once asked and not yet carried out or answered. */
  cancelRequested = false;
  /** The PaymentIntent of a sale under way: refunded if the saga fails before it becomes a ticket. */
  saleInFlight: string | undefined;
  /** The sale's own transaction recorded the reservation CONFIRMED, with its order, in Postgres. */
  recordedBySale = false;

  constructor(readonly input: ReservationInput) {
    this.view = {
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
  }

  isTerminal(): boolean {
    return terminalStatuses.includes(this.view.status);
  }

  /** Something for the main loop to do before the hold's deadline. */
  hasWork(): boolean {
    return this.commands.length > 0 || this.releaseRequest !== undefined;
  }

  /** The PaymentIntent the seats were sold with, once CONFIRMED. */
  soldWith(): string | undefined {
    return this.view.status === 'CONFIRMED' ? this.view.payment?.paymentIntentId : undefined;
  }

  /** A copy for handlers: the workflow sandbox has no structuredClone, and the view is plain JSON. */
  snapshot(): ReservationView {
    return JSON.parse(JSON.stringify(this.view));
  }

  /**
   * Records a transition where support and the API see it: status, search attributes (unless the
   * workflow's start already set them), live details.
   */
  publish(status: ReservationStatus, reason?: string, options = { searchAttributes: true }): void {
    const { view } = this;
    view.status = status;
    if (reason !== undefined) view.reason = reason;
    view.expiresAt = this.holdExpiresAtMs ? new Date(this.holdExpiresAtMs).toISOString() : null;
    setCurrentDetails(this.details(reason));
    log.info('reservation transition', { reservationId: view.id, status, reason });
    if (!options.searchAttributes) return;
    upsertSearchAttributes([
      { key: ReservationStatusKey, value: status },
      { key: SeatCount, value: view.seats.length },
      ...(this.holdExpiresAtMs ? [{ key: HoldExpiresAt, value: new Date(this.holdExpiresAtMs) }] : []),
      ...(view.payment?.paymentIntentId
        ? [{ key: PaymentIntentId, value: view.payment.paymentIntentId }]
        : []),
      ...(view.orderId ? [{ key: OrderId, value: view.orderId }] : []),
    ]);
  }

  /** Support's actions are part of the record: who asked, why, and what came of it. */
  noteSupportAction(action: SupportAction['action'], request: SupportRequest, outcome: string): void {
    this.view.supportActions?.push({
      action,
      operator: request.operator,
      reason: request.reason,
      at: new Date().toISOString(),
      outcome,
    });
  }

  /** The payment facts learned so far, keeping what is already known; `nextAction: null` clears it. */
  notePayment(payment: {
    attempts?: number;
    paymentIntentId?: string;
    lastError?: string;
    nextAction?: NextAction | null;
  }): void {
    const { nextAction: _done, ...known } = this.view.payment ?? { attempts: 0 };
    this.view.payment = {
      ...(payment.nextAction === null ? known : this.view.payment),
      attempts: payment.attempts ?? this.view.payment?.attempts ?? 0,
      ...(payment.paymentIntentId !== undefined && { paymentIntentId: payment.paymentIntentId }),
      ...(payment.lastError !== undefined && { lastError: payment.lastError }),
      ...(payment.nextAction && { nextAction: payment.nextAction }),
    };
  }

  /** The Temporal UI's live details: what a support agent needs at a glance. */
  private details(reason: string | undefined): string {
    const { view } = this;
    const payment = view.payment;
    return [
      `**${view.status}**${reason ? ` — ${reason}` : ''}`,
      `Buyer \`${view.buyerId}\` · event \`${view.eventId}\``,
      `Seats: ${view.seats.map((seat) => seat.id).join(', ') || 'none'} · ${view.amount} ${view.currency}`,
      view.expiresAt && !this.isTerminal() ? `Hold expires ${view.expiresAt}` : '',
      payment?.attempts
        ? `Payment attempts: ${payment.attempts}${payment.lastError ? ` (last: ${payment.lastError})` : ''}`
        : '',
      view.orderId ? `Order \`${view.orderId}\`` : '',
    ]
      .filter(Boolean)
      .join('\n\n');
  }
}
