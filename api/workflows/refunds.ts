// Owns the API's conversation with refund workflows: check the order in Postgres before anything is
// charged, start (or find) the refund's workflow under an id derived from order + Idempotency-Key,
// wait for it within the API's budget, and read a refund back, with failures turned into domain errors.
import {
  type Client,
  WorkflowExecutionAlreadyStartedError,
  type WorkflowExecutionDescription,
  type WorkflowHandle,
} from '@temporalio/client';
import { digest } from '../../src/digest';
import { DomainError } from '../../src/errors';
import type { Config } from '../../src/platform/config';
import { type Pool, withTransaction } from '../../src/platform/db';
import { checkRefundTx } from '../../src/refunds/order-refunds';
import { findRefund } from '../../src/refunds/refunds';
import {
  type RefundView,
  type RefundWorkflow,
  type RefundWorkflowInput,
  refundIdPrefix,
  refundStatusQuery,
  refundWorkflowType,
} from '../../workflows/refund/contract';
import { OrderId } from '../../workflows/search-attributes';
import { type Settled, withinBudget } from './budget';
import { rethrowAsDomainError, unlessMissing } from './temporal-errors';

/** The refund id (and workflow id): a retried POST with the same key lands on the same refund. */
export function refundIdFor(orderId: string, idempotencyKey: string): string {
  return `${refundIdPrefix}${orderId}_${digest(idempotencyKey).slice(0, 22)}`;
}

export function refundFingerprint(request: { amount?: number; reason: string }): string {
  return digest(JSON.stringify({ amount: request.amount ?? null, reason: request.reason }));
}

export interface RefundRequest {
  orderId: string;
  idempotencyKey: string;
  amount?: number;
  reason: string;
  operator: string;
}

export function createRefunds({ temporal, config, pool }: { temporal: Client; config: Config; pool: Pool }) {
  const handleOf = (refundId: string): WorkflowHandle<RefundWorkflow> =>
    temporal.workflow.getHandle<RefundWorkflow>(refundId);

  function describe(refundId: string): Promise<WorkflowExecutionDescription | undefined> {
    return unlessMissing(handleOf(refundId).describe());
  }

  /** The refund's outcome: its view, or the domain error it failed with (the view under `refund`). */
  function outcome(refundId: string): Promise<RefundView> {
    return handleOf(refundId).result().catch(rethrowAsDomainError('refund'));
  }

  return {
    /**
     * Starts the refund (or joins the one this Idempotency-Key started) and waits for it within the API
     * budget. A new refund is checked against Postgres first: ORDER_NOT_FOUND, ALREADY_REFUNDED and
     * REFUND_EXCEEDS_PAYMENT are answered before anything reaches the gateway.
     */
    async refund(
      request: RefundRequest,
    ): Promise<Settled<RefundView> & { refundId: string; pending: RefundView }> {
      const refundId = refundIdFor(request.orderId, request.idempotencyKey);
      const fingerprint = refundFingerprint(request);
      let description = await describe(refundId);
      let pending: RefundView = {
        id: refundId,
        orderId: request.orderId,
        status: 'PENDING',
        amount: request.amount ?? null,
        currency: null,
        reason: request.reason,
        operator: request.operator,
        releasedSeatIds: [],
      };
      if (!description) {
        const check = await withTransaction(pool, (client) =>
          checkRefundTx(client, { orderId: request.orderId, amount: request.amount }),
        );
        pending = { ...pending, amount: check.amount, currency: check.order.currency.trim() };
        const input: RefundWorkflowInput = {
          refundId,
          orderId: request.orderId,
          amount: request.amount,
          reason: request.reason,
          operator: request.operator,
          paymentTaskQueue: config.temporal.paymentTaskQueue,
        };
        try {
          await temporal.workflow.start<RefundWorkflow>(refundWorkflowType, {
            workflowId: refundId,
            taskQueue: config.temporal.taskQueue,
            args: [input],
            workflowIdConflictPolicy: 'USE_EXISTING',
            // A finished refund is never run again by a retried POST: its outcome is read instead.
            workflowIdReusePolicy: 'REJECT_DUPLICATE',
            memo: { requestFingerprint: fingerprint },
            typedSearchAttributes: [{ key: OrderId, value: request.orderId }],
            staticSummary: `refund ${check.amount} ${pending.currency}${request.amount === undefined ? ' (all left)' : ''} of ${request.orderId} · by ${request.operator}`,
            staticDetails: `Refund \`${refundId}\` of order \`${request.orderId}\` (paid ${check.order.amount} ${pending.currency}, ${check.refundable} refundable).\n\nReason: ${request.reason}`,
          });
        } catch (error) {
          if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
        }
        // USE_EXISTING joins a concurrent first request with this key: it must have asked the same.
        description = await describe(refundId);
      }
      if (description?.memo?.requestFingerprint !== fingerprint) {
        throw new DomainError(
          'IDEMPOTENCY_KEY_REUSED',
          'this Idempotency-Key was used for a refund with a different amount or reason',
          { refundId },
        );
      }
      const settled = await withinBudget(outcome(refundId), config.apiWaitMs);
      return { ...settled, refundId, pending };
    },

    /** Reads a refund: from its workflow (state or outcome), or from the refunds audit once Temporal forgot it. */
    async read(refundId: string): Promise<RefundView> {
      const description = await describe(refundId);
      if (description?.status.name === 'RUNNING') return handleOf(refundId).query(refundStatusQuery);
      if (description) {
        try {
          return await outcome(refundId);
        } catch (error) {
          if (error instanceof DomainError && error.details.refund) return error.details.refund as RefundView;
          throw error;
        }
      }
      const row = await findRefund(pool, refundId);
      if (!row?.orderId) throw new DomainError('NOT_FOUND', `refund ${refundId} does not exist`);
      return {
        id: row.id,
        orderId: row.orderId,
        status: row.status === 'SUCCEEDED' ? 'SUCCEEDED' : row.status === 'FAILED' ? 'FAILED' : 'REFUNDING',
        amount: row.amount,
        currency: row.currency.trim(),
        reason: row.reason,
        operator: row.actor,
        ...(row.stripeRefundId && { stripeRefundId: row.stripeRefundId }),
        releasedSeatIds: [],
        ...(row.errorMessage && { error: { code: 'REFUND_FAILED', message: row.errorMessage } }),
      };
    },
  };
}

export type Refunds = ReturnType<typeof createRefunds>;
