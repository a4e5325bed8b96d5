// Owns the activity option presets the reservation saga uses: a few named policies, not literals.
import {
  ActivityCancellationType,
  type ActivityOptions,
  type LocalActivityOptions,
} from '@temporalio/workflow';

/** Short Postgres work (hold, record): retried quickly; business rejections are non-retryable anyway. */
export const inventoryStep: LocalActivityOptions = {
  startToCloseTimeout: '10s',
  retry: { initialInterval: '100ms', backoffCoefficient: 2, maximumInterval: '5s', maximumAttempts: 10 },
};

/** Steps that must eventually happen (commit after a charge, releases, refunds): retried until they do. */
export const mustComplete: ActivityOptions = {
  startToCloseTimeout: '30s',
  retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '1m' },
};

/**
 * The sale after a charge, run in the workflow task that learned of the charge: one short Postgres
 * transaction, retried until it happens like `mustComplete` (past a minute its retries wait on timers).
 */
export const saleStep: LocalActivityOptions = {
  startToCloseTimeout: mustComplete.startToCloseTimeout,
  retry: mustComplete.retry,
};

/** One call to the payment gateway; a workflow timer bounds the whole attempt. */
export function gatewayCall(taskQueue: string): ActivityOptions {
  return {
    taskQueue,
    startToCloseTimeout: '20s',
    heartbeatTimeout: undefined,
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s' },
  };
}

/** A preset with the summary that names its step in the Temporal UI. */
export function step<T extends ActivityOptions | LocalActivityOptions>(options: T, summary: string): T {
  return { ...options, summary };
}

/**
 * The charge: a gateway call that heartbeats, so the workflow's cancellation reaches the worker, and
 * whose end the workflow awaits after cancelling it, so nothing is decided while its request may still
 * be on its way to the gateway.
 */
export function chargeCall(taskQueue: string): ActivityOptions {
  return {
    ...gatewayCall(taskQueue),
    heartbeatTimeout: '5s',
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  };
}
