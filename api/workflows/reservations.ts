// Owns the API's conversation with reservation workflows: hold (in Postgres, src/checkout/hold.ts) then
// start the workflow HELD, confirm, cancel and read, each within the API's wait budget, with Temporal
// failures turned into domain errors.
import {
  type Client,
  WorkflowExecutionAlreadyStartedError,
  type WorkflowExecutionDescription,
  type WorkflowHandle,
} from '@temporalio/client';
import { type CheckoutHolds, heldView } from '../../src/checkout/hold';
import { findReservation, type ReservationRow } from '../../src/checkout/orders';
import { requestFingerprint, reservationIdFor } from '../../src/checkout/reservation-id';
import { type UnfinishedEnd, unfinishedView } from '../../src/checkout/unfinished';
import { DomainError, isErrorCode } from '../../src/errors';
import { leaseOf } from '../../src/inventory/lease';
import { heldSeatsOf } from '../../src/inventory/seats';
import type { Config } from '../../src/platform/config';
import type { Pool } from '../../src/platform/db';
import {
  cancelUpdate,
  confirmUpdate,
  type HeldSeats,
  type ReservationInput,
  type ReservationView,
  type ReservationWorkflow,
  reservationWorkflowType,
  type SeatRequest,
  statusQuery,
  terminalStatuses,
} from '../../workflows/reservation/contract';
import {
  BuyerId,
  EventId,
  HoldExpiresAt,
  ReservationStatus,
  SeatCount,
} from '../../workflows/search-attributes';
import { type Settled, withinBudget } from './budget';
import { createPaymentAdmission } from './payment-admission';
import { domainErrorFrom, unlessMissing, unlessUnanswerable } from './temporal-errors';

type Status = ReservationView['status'];

/**
 * The history of a reservation started HELD that has handled no message yet: started, its first task
 * scheduled, started and completed, and the expiry timer started.
 */
const untouchedHistoryLength = 5;

/** A refused hold is answered with its domain code (SEATS_UNAVAILABLE, BUYER_LIMIT_EXCEEDED, ...). */
function throwIfRejected(view: ReservationView): ReservationView {
  if (view.status !== 'REJECTED') return view;
  const code = view.rejection && isErrorCode(view.rejection.code) ? view.rejection.code : 'SEATS_UNAVAILABLE';
  throw new DomainError(code, view.reason ?? 'the hold was refused', view.rejection?.details ?? {});
}

/** Why a reservation that has ended as `status` takes no more commands. */
function endedAs(status: Status): DomainError {
  if (status === 'EXPIRED')
    return new DomainError('RESERVATION_EXPIRED', 'the hold on these seats has expired');
  if (status === 'CONFIRMED') {
    return new DomainError(
      'RESERVATION_CONFIRMED',
      'this reservation is confirmed; refund the order instead',
    );
  }
  return new DomainError('RESERVATION_NOT_ACTIVE', `the reservation is ${status}`);
}

export interface CheckoutDeps {
  temporal: Client;
  config: Config;
  pool: Pool;
  /** Where holds are taken before a workflow starts: Postgres and the seat map (src/checkout/hold.ts). */
  holds: CheckoutHolds;
}

export function createCheckout({ temporal, config, pool, holds }: CheckoutDeps) {
  const admission = createPaymentAdmission(config);
  const handleOf = (reservationId: string): WorkflowHandle<ReservationWorkflow> =>
    temporal.workflow.getHandle<ReservationWorkflow>(reservationId);

  /** An ended reservation may still have been sold by a late payment (workflows/late-payment). */
  async function lateSaleOf(view: ReservationView): Promise<ReservationView> {
    if (
      !terminalStatuses.includes(view.status) ||
      view.status === 'CONFIRMED' ||
      view.status === 'REJECTED'
    ) {
      return view;
    }
    const row = await findReservation(pool, view.id);
    if (row?.status !== 'CONFIRMED' || !row.orderId) return view;
    return {
      ...view,
      status: 'CONFIRMED',
      orderId: row.orderId,
      reason: 'paid after the hold ended; the seats were sold again',
    };
  }

  /** The truth about a reservation whose workflow stopped before finishing: how, and its seats' lease. */
  async function unfinished(view: ReservationView, end: UnfinishedEnd): Promise<ReservationView> {
    return unfinishedView(view, end, await leaseOf(pool, view.id, { graceSeconds: config.holdGraceSeconds }));
  }

  /** A view still HELD, PAYING or PENDING is the truth only while its workflow runs. */
  async function unlessStopped(view: ReservationView): Promise<ReservationView> {
    if (terminalStatuses.includes(view.status)) return view;
    const status = (await unlessMissing(handleOf(view.id).describe()))?.status.name;
    if (status === 'RUNNING' || status === 'PAUSED') return view;
    // Finished meanwhile: its final state.
    if (status === 'COMPLETED') return handleOf(view.id).query(statusQuery);
    const ends: readonly string[] = ['TERMINATED', 'CANCELLED', 'FAILED', 'TIMED_OUT'];
    return unfinished(view, status && ends.includes(status) ? (status as UnfinishedEnd) : 'GONE');
  }

  /** Reads the reservation from its workflow; a workflow Temporal no longer has is read from Postgres. */
  async function read(reservationId: string): Promise<ReservationView> {
    const view = await unlessUnanswerable(handleOf(reservationId).query(statusQuery));
    if (view) return lateSaleOf(await unlessStopped(view));
    const row = await findReservation(pool, reservationId);
    if (!row) throw new DomainError('RESERVATION_NOT_FOUND', `reservation ${reservationId} does not exist`);
    const recorded: ReservationView = {
      id: row.id,
      eventId: row.eventId,
      buyerId: row.buyerId,
      status: row.status as Status,
      seats: row.seatIds.map((id) => ({ id, price: 0 })),
      amount: row.amount,
      currency: row.currency,
      expiresAt: row.expiresAt,
      ...(row.orderId && { orderId: row.orderId }),
      ...(row.reason && { reason: row.reason }),
    };
    // Recorded HELD by the API but never read back from its workflow: gone, or stopped before it ran.
    return terminalStatuses.includes(recorded.status) ? recorded : unlessStopped(recorded);
  }

  /** Starts the workflow of a reservation whose seats are held; the answer is the held reservation. */
  async function startHeld(workflowInput: ReservationInput & { held: HeldSeats }, summary: string) {
    const { reservationId, eventId, buyerId, request, held } = workflowInput;
    await temporal.workflow.start(reservationWorkflowType, {
      workflowId: reservationId,
      taskQueue: config.temporal.taskQueue,
      args: [workflowInput],
      // A concurrent retry with the same key finds this workflow; a finished one is never restarted.
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      // Set at start, so the workflow's first task has no upsert to make.
      typedSearchAttributes: [
        { key: EventId, value: eventId },
        { key: BuyerId, value: buyerId },
        { key: ReservationStatus, value: 'HELD' },
        { key: SeatCount, value: held.seats.length },
        { key: HoldExpiresAt, value: new Date(held.heldUntil) },
      ],
      staticSummary: summary,
      staticDetails: `Reservation \`${reservationId}\` of buyer \`${buyerId}\` for event \`${eventId}\`.\n\nRequest: \`${JSON.stringify(request)}\``,
    });
    return {
      ...heldView(workflowInput, held),
      payment: { attempts: 0 },
      supportActions: [],
      requestFingerprint: workflowInput.requestFingerprint,
    } satisfies ReservationView;
  }

  /** A retried POST of a finished reservation gets its final state, if it asks for the same thing. */
  async function readFinished(reservationId: string, fingerprint: string): Promise<ReservationView> {
    const view = await read(reservationId);
    if (view.requestFingerprint !== undefined && view.requestFingerprint !== fingerprint) {
      throw new DomainError(
        'IDEMPOTENCY_KEY_REUSED',
        'this Idempotency-Key was used with a different request',
      );
    }
    return view;
  }

  /**
   * A retried POST of a reservation whose workflow runs but has done nothing since its start: the answer
   * is read from Postgres (the seats it holds) and the workflow's description (its deadline), both
   * server-side, so a buyer retrying a slow hold never waits behind the worker's backlog for a query.
   * Anything else (a payment tried, support's extension, a row from before migration 0008) is the
   * workflow's to answer.
   */
  async function readRetried(
    row: ReservationRow,
    description: WorkflowExecutionDescription,
    fingerprint: string,
  ): Promise<ReservationView> {
    if (row.requestFingerprint !== null && row.requestFingerprint !== fingerprint) {
      throw new DomainError(
        'IDEMPOTENCY_KEY_REUSED',
        'this Idempotency-Key was used with a different request',
      );
    }
    const attributes = description.typedSearchAttributes;
    const expiresAt = attributes.get(HoldExpiresAt);
    const answerable =
      row.requestFingerprint !== null &&
      row.status === 'HELD' &&
      description.status.name === 'RUNNING' &&
      description.historyLength <= untouchedHistoryLength &&
      attributes.get(ReservationStatus) === 'HELD' &&
      expiresAt !== undefined;
    if (!answerable) return readFinished(row.id, fingerprint);
    const seats = await heldSeatsOf(pool, {
      eventId: row.eventId,
      reservationId: row.id,
      seatIds: row.seatIds,
    });
    if (seats.length !== row.seatIds.length) return readFinished(row.id, fingerprint);
    return {
      ...heldView(
        { ...row, reservationId: row.id },
        {
          seats,
          amount: row.amount,
          currency: row.currency,
          heldUntil: expiresAt.toISOString(),
        },
      ),
      payment: { attempts: 0 },
    };
  }

  /**
   * An update can't reach a workflow that has ended, so a failed command is answered from the final
   * state: the reservation when it ended the way the command asks (`accepts`), otherwise why it ended.
   */
  async function answerFromFinalState(
    reservationId: string,
    error: unknown,
    accepts: (status: Status) => boolean,
  ): Promise<ReservationView> {
    const domainError = domainErrorFrom(error, 'reservation');
    if (domainError && domainError.code !== 'RESERVATION_NOT_FOUND') throw domainError;
    const view = await read(reservationId);
    if (accepts(view.status)) return view;
    if (!terminalStatuses.includes(view.status)) throw error;
    throw endedAs(view.status);
  }

  return {
    read,

    /** The buyer a reservation belongs to, from its search attributes (no worker round trip). */
    async ownerOf(reservationId: string): Promise<string | undefined> {
      const description = await unlessMissing(handleOf(reservationId).describe());
      if (description) return description.typedSearchAttributes.get(BuyerId);
      return (await findReservation(pool, reservationId))?.buyerId;
    },

    /**
     * Holds the seats in Postgres, then starts the reservation's workflow already HELD: the answer waits
     * for one transaction and one start, never for a workflow task. A retried POST is answered by the
     * reservation's workflow (or its final state); a losing hold starts nothing.
     */
    async hold(input: {
      eventId: string;
      buyerId: string;
      idempotencyKey: string;
      request: SeatRequest;
      summary: string;
    }): Promise<Settled<ReservationView> & { reservationId: string }> {
      const reservationId = reservationIdFor(input.buyerId, input.idempotencyKey);
      const fingerprint = requestFingerprint(input.eventId, input.request);
      const workflowInput: ReservationInput = {
        reservationId,
        eventId: input.eventId,
        buyerId: input.buyerId,
        request: input.request,
        requestFingerprint: fingerprint,
        payments: {
          taskQueue: config.temporal.paymentTaskQueue,
          windowSeconds: config.payments.windowSeconds,
          attemptTimeoutSeconds: config.payments.attemptTimeoutSeconds,
          maxAttempts: config.payments.maxAttempts,
        },
      };
      const holdInput = {
        reservationId,
        buyerId: input.buyerId,
        eventId: input.eventId,
        request: input.request,
      };

      // The workflow's input carries what it needs of the hold, nothing more.
      const start = ({ seats, amount, currency, heldUntil }: HeldSeats) =>
        startHeld({ ...workflowInput, held: { seats, amount, currency, heldUntil } }, input.summary).catch(
          (error: unknown) => {
            // A finished reservation (REJECTED_DUPLICATE) is read, so a retried POST gets the same answer.
            if (error instanceof WorkflowExecutionAlreadyStartedError)
              return readFinished(reservationId, fingerprint);
            throw error;
          },
        );
      const answer = async (): Promise<ReservationView> => {
        const taken = await holds.take(holdInput, fingerprint);
        if (taken.kind === 'new') return start(taken.hold);
        if (taken.ended) return readFinished(reservationId, fingerprint);
        // Recorded HELD: its workflow runs (a retried POST), or never started (the API stopped between
        // the hold and the start, or Temporal was down): then the seats it still holds are its hold.
        const description = await unlessMissing(handleOf(reservationId).describe());
        if (description) return readRetried(taken.row, description, fingerprint);
        return start(await holds.resume(holdInput));
      };
      // A retry of a hold refused before holds moved to the API reads as its refusal again.
      const outcome = await withinBudget(answer().then(throwIfRejected), config.apiWaitMs);
      return { ...outcome, reservationId };
    },

    /** Pays for the held seats; the Idempotency-Key is the update id, so a retry joins the first call. */
    async confirm(
      reservationId: string,
      idempotencyKey: string,
      paymentMethodId: string,
    ): Promise<Settled<ReservationView>> {
      const confirmed = admission
        .admit(() =>
          handleOf(reservationId).executeUpdate(confirmUpdate, {
            args: [{ paymentMethodId }],
            updateId: `confirm:${idempotencyKey}`,
          }),
        )
        .catch((error: unknown) => {
          if (error instanceof DomainError && error.code === 'SERVICE_UNAVAILABLE') throw error;
          return answerFromFinalState(reservationId, error, (status) => status === 'CONFIRMED');
        });
      return withinBudget(confirmed, config.apiWaitMs);
    },

    /** Confirms in flight over the limit on them (payment-admission.ts): the checkout's health. */
    paymentLoad: () => admission.inFlight() / admission.capacity(),

    /** Gives the seats back; cancelling a cancelled or expired reservation again is fine. */
    async cancel(reservationId: string): Promise<Settled<ReservationView>> {
      const cancelled = handleOf(reservationId)
        .executeUpdate(cancelUpdate, { args: [] })
        .catch((error: unknown) =>
          answerFromFinalState(reservationId, error, (status) => status !== 'CONFIRMED'),
        );
      return withinBudget(cancelled, config.apiWaitMs);
    },
  };
}

export type Checkout = ReturnType<typeof createCheckout>;
