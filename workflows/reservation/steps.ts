// Owns the reservation saga's activity stubs: one proxy per step, each with the summary that names the
// step in the Temporal UI, on the queue and retry preset the step needs.
import { log, patched, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { InventoryActivities } from '../../activities/inventory';
import type { OrderActivities } from '../../activities/orders';
import type { AttemptCheck, AttemptCheckInput, PaymentActivities } from '../../activities/payments';
import { gatewayCall, inventoryStep, mustComplete, saleStep, step } from '../activity-options';

/**
 * Histories recorded before the attempt check was named `checkPaymentAttempt` schedule it as
 * `reconcilePayment`; the worker registers both until those histories are gone.
 */
const attemptCheckRenamed = 'check-payment-attempt-name';

/** Histories recorded before the seats' lease followed the deadline (PAYING, the retry grace) have no sync. */
const leaseFollowsDeadline = 'lease-follows-deadline';

/**
 * Histories recorded before the sale became a local activity schedule it on the task queue: an activity
 * task, its own workflow task and six events more per checkout. Asked with patched() even in reservations
 * started held, which were recorded both ways.
 */
const saleIsLocal = 'sale-as-local-activity';

/**
 * `startedHeld`: the reservation was started with the API's hold (its input's `held`). No history of one
 * predates the patches asked through `isPatched`, so it asks no patched() for them (each adds a marker
 * and a search-attribute upsert to every checkout) and takes their new branch. Later patches (the sale's)
 * ask patched() in every reservation.
 */
export function createSteps(paymentTaskQueue: string, startedHeld = false) {
  const isPatched = (patchId: string) => startedHeld || patched(patchId);
  const { holdSeats } = proxyLocalActivities<InventoryActivities>(step(inventoryStep, 'hold seats'));
  const { recordReservation } = proxyLocalActivities<OrderActivities>(
    step(inventoryStep, 'record reservation'),
  );
  const { releaseSeats } = proxyActivities<InventoryActivities>(step(mustComplete, 'release seats'));
  const { extendHold } = proxyActivities<InventoryActivities>(step(mustComplete, 'extend hold'));
  const { syncLease } = proxyLocalActivities<InventoryActivities>(
    step(inventoryStep, "keep the seats' lease in step"),
  );
  const saleSummary = 'commit seats, create order';
  const { completeSale: completeSaleTask } = proxyActivities<OrderActivities>(
    step(mustComplete, saleSummary),
  );
  const { completeSale: completeSaleLocal } = proxyLocalActivities<OrderActivities>(
    step(saleStep, saleSummary),
  );
  const gateway = proxyActivities<PaymentActivities>(gatewayCall(paymentTaskQueue));
  const { refundPayment } = proxyActivities<PaymentActivities>(
    step({ ...mustComplete, taskQueue: paymentTaskQueue }, 'refund the charge'),
  );
  const { verifyPayment } = proxyActivities<PaymentActivities>(
    step(gatewayCall(paymentTaskQueue), 'verify payment with Stripe'),
  );
  const { checkPaymentAttempt, reconcilePayment } = proxyActivities<PaymentActivities>(
    step(gatewayCall(paymentTaskQueue), 'check payment attempt with Stripe'),
  );

  return {
    startedHeld,
    /** Whether a patch's new branch runs (always, in a reservation started with the API's hold). */
    isPatched,
    holdSeats,
    recordReservation,
    releaseSeats,
    extendHold,
    /** Commits the seats and creates the order, in the task that learned of the charge. */
    completeSale(input: Parameters<typeof completeSaleTask>[0]) {
      return patched(saleIsLocal) ? completeSaleLocal(input) : completeSaleTask(input);
    },
    refundPayment,
    verifyPayment,
    /** One charge attempt; the caller names the attempt in its summary. */
    chargePayment: gateway.chargePayment,
    /**
     * Moves the seats' lease (held_until) to the workflow's deadline, the backstop should the workflow
     * vanish. Not fatal when Postgres stays away: the sale refuses a lapsed lease, and the charge of such
     * a sale is refunded.
     */
    async keepLease(reservationId: string, deadlineMs: number, { moved }: { moved: boolean }): Promise<void> {
      if (!isPatched(leaseFollowsDeadline)) return;
      // A lease already at the deadline needs no call (the hold's end often covers the payment window).
      if (startedHeld && !moved) return;
      try {
        await syncLease({ reservationId, heldUntil: new Date(deadlineMs).toISOString() });
      } catch (error) {
        log.warn("the seats' lease could not follow the deadline", { reservationId, error: String(error) });
      }
    },
    /** Asks Stripe what became of an attempt whose answer the workflow did not get. */
    checkPaymentAttempt(input: AttemptCheckInput): Promise<AttemptCheck> {
      return isPatched(attemptCheckRenamed) ? checkPaymentAttempt(input) : reconcilePayment(input);
    },
  };
}

export type Steps = ReturnType<typeof createSteps>;
