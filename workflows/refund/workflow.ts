// Owns the refund workflow: one per support refund request. Reserve the amount against the order
// (checked again under a row lock), refund through the payment queue's gateway activity (one Stripe
// idempotency key per refund id, audited in `refunds`), then apply it to the order in one transaction:
// REFUNDED or PARTIALLY_REFUNDED, and on a full refund under the event's policy, void tickets and
// return the seats to sale. Once the gateway has accepted the refund, the last step retries until done.
import {
  log,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { PaymentActivities } from '../../activities/payments';
import type { RefundActivities } from '../../activities/refunds';
import { mustComplete } from '../activity-options';
import { businessFailure, domainFailureOf } from '../failures';
import { BuyerId, EventId, OrderId } from '../search-attributes';
import { type RefundView, type RefundWorkflowInput, refundStatusQuery } from './contract';

export async function refundWorkflow(input: RefundWorkflowInput): Promise<RefundView> {
  const bookkeeping = proxyActivities<RefundActivities>(mustComplete);
  const gateway = proxyActivities<PaymentActivities>({ ...mustComplete, taskQueue: input.paymentTaskQueue });

  const view: RefundView = {
    id: input.refundId,
    orderId: input.orderId,
    status: 'PENDING',
    amount: input.amount ?? null,
    currency: null,
    reason: input.reason,
    operator: input.operator,
    releasedSeatIds: [],
  };
  const snapshot = (): RefundView => JSON.parse(JSON.stringify(view));
  setHandler(refundStatusQuery, snapshot);

  function publish(status: RefundView['status']) {
    view.status = status;
    const money = view.amount !== null && view.currency ? `${view.amount} ${view.currency}` : 'the remainder';
    setCurrentDetails(
      [
        `**${status}** — refund of ${money} on order \`${view.orderId}\``,
        `By \`${view.operator}\`: ${view.reason}`,
        view.stripeRefundId ? `Stripe refund \`${view.stripeRefundId}\`` : '',
        view.order ? `Order now ${view.order.status}, ${view.order.refundedAmount} refunded` : '',
        view.releasedSeatIds.length ? `Seats back on sale: ${view.releasedSeatIds.join(', ')}` : '',
        view.error ? `Failed: ${view.error.code} — ${view.error.message}` : '',
      ]
        .filter(Boolean)
        .join('\n\n'),
    );
    log.info('refund transition', { refundId: view.id, status });
  }

  upsertSearchAttributes([{ key: OrderId, value: input.orderId }]);
  publish('PENDING');
  try {
    // 1. Reserve the amount under the order's row lock: a concurrent refund can't take it twice.
    const prepared = await bookkeeping.reserveRefund.executeWithOptions(
      { ...mustComplete, summary: `check order ${input.orderId} can take the refund` },
      [
        {
          refundId: input.refundId,
          orderId: input.orderId,
          amount: input.amount,
          reason: input.reason,
          actor: input.operator,
        },
      ],
    );
    view.amount = prepared.amount;
    view.currency = prepared.currency;
    upsertSearchAttributes([
      { key: EventId, value: prepared.eventId },
      { key: BuyerId, value: prepared.buyerId },
    ]);
    publish('REFUNDING');

    // 2. The money: one Stripe refund per refund id, whatever the retries.
    const refunded = await gateway.refundPayment.executeWithOptions(
      {
        ...mustComplete,
        taskQueue: input.paymentTaskQueue,
        summary: `refund ${prepared.amount} ${prepared.currency}`,
      },
      [
        {
          refundId: input.refundId,
          reservationId: prepared.reservationId,
          orderId: input.orderId,
          paymentIntentId: prepared.paymentIntentId,
          amount: prepared.amount,
          currency: prepared.currency,
          reason: input.reason,
          actor: input.operator,
        },
      ],
    );
    view.stripeRefundId = refunded.stripeRefundId;

    // 3. The order, tickets and seats follow the money in one transaction.
    const applied = await bookkeeping.applyRefund.executeWithOptions(
      { ...mustComplete, summary: `apply refund to order ${input.orderId}` },
      [{ refundId: input.refundId, orderId: input.orderId, reason: input.reason, actor: input.operator }],
    );
    view.order = { status: applied.orderStatus, refundedAmount: applied.refundedAmount };
    view.releasedSeatIds = applied.releasedSeatIds;
    publish('SUCCEEDED');
    return snapshot();
  } catch (error) {
    const failure = domainFailureOf(error);
    if (!failure) throw error;
    // A business rejection (already refunded, too much, the gateway refused): the workflow fails with
    // the domain code as its type, so the API answers it and the UI shows it red.
    view.error = { code: failure.code, message: failure.message };
    publish('FAILED');
    throw businessFailure(failure.code, failure.message, snapshot());
  }
}
