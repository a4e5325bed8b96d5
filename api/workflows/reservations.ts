// Owns the API's conversation with reservation workflows: start-and-hold (Update-with-Start), confirm,
// cancel and read, each within the API's wait budget, with Temporal failures turned into domain errors.
import { createHash } from 'node:crypto';
import {
  type Client,
  WithStartWorkflowOperation,
  WorkflowExecutionAlreadyStartedError,
  type WorkflowHandle,
  WorkflowNotFoundError,
} from '@temporalio/client';
import { findReservation } from '../src/checkout/orders';
import { DomainError, isErrorCode } from '../src/errors';
import type { Config } from '../src/platform/config';
import type { Pool } from '../src/platform/db';
import {
  cancelUpdate,
  confirmUpdate,
  holdUpdate,
  type ReservationInput,
  type ReservationView,
  reservationIdPrefix,
  reservationWorkflowType,
  type SeatRequest,
  statusQuery,
  terminalStatuses,
} from '../workflows/reservation/contract';
import type { reservationWorkflow } from '../workflows/reservation/workflow';
import { BuyerId, EventId, ReservationStatus } from '../workflows/search-attributes';
import { domainErrorFrom, rethrowAsDomainError } from './temporal-errors';

const digest = (text: string) => createHash('sha256').update(text).digest('base64url');

/** The reservation id is derived from buyer + Idempotency-Key, so a retried POST lands on the same workflow. */
export function reservationIdFor(buyerId: string, idempotencyKey: string): string {
  return `${reservationIdPrefix}${digest(`${buyerId}\n${idempotencyKey}`).slice(0, 26)}`;
}

export function requestFingerprint(eventId: string, request: SeatRequest): string {
  const canonical =
    'seatIds' in request
      ? { eventId, seatIds: request.seatIds }
      : {
          eventId,
          section: request.section,
          quantity: request.quantity,
          adjacent: request.adjacent ?? false,
        };
  return digest(JSON.stringify(canonical));
}

/** A refused hold is answered with its domain code (SEATS_UNAVAILABLE, BUYER_LIMIT_EXCEEDED, ...). */
function throwIfRejected(view: ReservationView): ReservationView {
  if (view.status !== 'REJECTED') return view;
  const code = view.rejection && isErrorCode(view.rejection.code) ? view.rejection.code : 'SEATS_UNAVAILABLE';
  throw new DomainError(code, view.reason ?? 'the hold was refused', view.rejection?.details ?? {});
}

type Settled<T> = { settled: true; value: T } | { settled: false };

async function withinBudget<T>(work: Promise<T>, budgetMs: number): Promise<Settled<T>> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Settled<T>>((resolve) => {
    timer = setTimeout(() => resolve({ settled: false }), budgetMs);
  });
  const answered = work.then((value) => ({ settled: true as const, value }));
  // After the budget has run out nobody awaits `answered`: its late rejection must not go unhandled.
  answered.catch(() => {});
  try {
    return await Promise.race([answered, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export interface CheckoutDeps {
  temporal: Client;
  config: Config;
  pool: Pool;
}

export function createCheckout({ temporal, config, pool }: CheckoutDeps) {
  const handleOf = (reservationId: string): WorkflowHandle<typeof reservationWorkflow> =>
    temporal.workflow.getHandle<typeof reservationWorkflow>(reservationId);

  /** An ended reservation may still have been sold by a late payment (workflows/late-payment.ts). */
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

  /** Reads the reservation from its workflow; a workflow Temporal no longer has is read from Postgres. */
  async function read(reservationId: string): Promise<ReservationView> {
    try {
      const view = await handleOf(reservationId).query(statusQuery);
      return lateSaleOf(view);
    } catch (error) {
      if (!(error instanceof WorkflowNotFoundError)) throw error;
      const row = await findReservation(pool, reservationId);
      if (!row) throw new DomainError('RESERVATION_NOT_FOUND', `reservation ${reservationId} does not exist`);
      return {
        id: row.id,
        eventId: row.eventId,
        buyerId: row.buyerId,
        status: row.status as ReservationView['status'],
        seats: row.seatIds.map((id) => ({ id, price: 0 })),
        amount: row.amount,
        currency: row.currency,
        expiresAt: row.expiresAt,
        ...(row.orderId && { orderId: row.orderId }),
        ...(row.reason && { reason: row.reason }),
      };
    }
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

  return {
    read,

    /** The buyer a reservation belongs to, from its search attributes (no worker round trip). */
    async ownerOf(reservationId: string): Promise<string | undefined> {
      try {
        const description = await handleOf(reservationId).describe();
        return description.typedSearchAttributes.get(BuyerId);
      } catch (error) {
        if (error instanceof WorkflowNotFoundError)
          return (await findReservation(pool, reservationId))?.buyerId;
        throw error;
      }
    },

    /** Starts the reservation's workflow (or finds it) and returns the hold's outcome. */
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
      const startWorkflowOperation = new WithStartWorkflowOperation<typeof reservationWorkflow>(
        reservationWorkflowType,
        {
          workflowId: reservationId,
          taskQueue: config.temporal.taskQueue,
          args: [workflowInput],
          workflowIdConflictPolicy: 'USE_EXISTING',
          // A finished reservation is never restarted by a retried POST: it is read instead.
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
          typedSearchAttributes: [
            { key: EventId, value: input.eventId },
            { key: BuyerId, value: input.buyerId },
            { key: ReservationStatus, value: 'PENDING' },
          ],
          staticSummary: input.summary,
          staticDetails: `Reservation \`${reservationId}\` of buyer \`${input.buyerId}\` for event \`${input.eventId}\`.\n\nRequest: \`${JSON.stringify(input.request)}\``,
        },
      );
      const held = temporal.workflow
        .executeUpdateWithStart(holdUpdate, {
          startWorkflowOperation,
          args: [{ requestFingerprint: fingerprint }],
        })
        .catch((error: unknown) => {
          // A finished reservation (REJECTED_DUPLICATE) is read, so a retried POST gets the same answer.
          if (error instanceof WorkflowExecutionAlreadyStartedError)
            return readFinished(reservationId, fingerprint);
          return rethrowAsDomainError(error);
        })
        .then(throwIfRejected);
      const outcome = await withinBudget(held, config.apiWaitMs);
      return { ...outcome, reservationId };
    },

    /** Pays for the held seats; the Idempotency-Key is the update id, so a retry joins the first call. */
    async confirm(
      reservationId: string,
      idempotencyKey: string,
      paymentMethodId: string,
    ): Promise<Settled<ReservationView>> {
      const handle = handleOf(reservationId);
      const confirmed = handle
        .executeUpdate(confirmUpdate, { args: [{ paymentMethodId }], updateId: `confirm:${idempotencyKey}` })
        .catch(async (error: unknown) => {
          const domainError = domainErrorFrom(error);
          if (domainError && domainError.code !== 'RESERVATION_NOT_FOUND') throw domainError;
          // An update can't reach a finished workflow: answer from its final state.
          const view = await read(reservationId);
          if (view.status === 'CONFIRMED') return view;
          if (view.status === 'EXPIRED')
            throw new DomainError('RESERVATION_EXPIRED', 'the hold on these seats has expired');
          if (terminalStatuses.includes(view.status)) {
            throw new DomainError('RESERVATION_NOT_ACTIVE', `the reservation is ${view.status}`);
          }
          throw error;
        });
      const outcome = await withinBudget(confirmed, config.apiWaitMs);
      return outcome;
    },

    /** Gives the seats back; cancelling a cancelled or expired reservation again is fine. */
    async cancel(reservationId: string): Promise<Settled<ReservationView>> {
      const cancelled = handleOf(reservationId)
        .executeUpdate(cancelUpdate, { args: [] })
        .catch(async (error: unknown) => {
          const domainError = domainErrorFrom(error);
          if (domainError && domainError.code !== 'RESERVATION_NOT_FOUND') throw domainError;
          const view = await read(reservationId);
          if (view.status === 'CONFIRMED') {
            throw new DomainError(
              'RESERVATION_CONFIRMED',
              'this reservation is confirmed; refund the order instead',
            );
          }
          return view;
        });
      const outcome = await withinBudget(cancelled, config.apiWaitMs);
      return outcome;
    },
  };
}

export type Checkout = ReturnType<typeof createCheckout>;
