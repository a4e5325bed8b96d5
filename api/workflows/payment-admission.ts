// Owns admission to the payment queue. It charges PAYMENT_RATE_LIMIT_PER_SECOND a second, so a confirm
// that would queue past the API's wait budget behind the ones already in flight is refused at once, 503
// with Retry-After, rather than answered 202 seconds later while it adds updates to a backlog. This is
// the checkout's saturation signal (the waiting room builds on it). Counted per API process.
import { DomainError } from '../../src/errors';
import type { Config } from '../../src/platform/config';

/** Of the budget, the share a queued confirm may spend waiting for its turn at the payment limit. */
const queueShareOfBudget = 0.8;
/** What a slow confirm leaves of the limit on confirms in flight (at most once per target time). */
const decrease = 0.75;

/**
 * The limit on confirms in flight starts at what the payment limit charges within the budget, and
 * adapts to what the checkout actually answers (additive increase, multiplicative decrease): a confirm
 * answered later than the budget's share shrinks it, a prompt one grows it back by 1/limit. When the
 * workflows behind the payments are slower than the payment limit (a saturated worker or Temporal), the
 * limit follows them down, so their buyers hear 503 at once instead of 202 after the budget.
 */
export function createPaymentAdmission(
  config: Pick<Config, 'apiWaitMs' | 'payments'>,
  now: () => number = Date.now,
) {
  const rate = config.payments.rateLimitPerSecond;
  const maxCapacity = Math.max(1, Math.floor(rate * (config.apiWaitMs / 1000) * queueShareOfBudget));
  const targetMs = config.apiWaitMs * queueShareOfBudget;
  let capacity = maxCapacity;
  let lastDecreaseMs = Number.NEGATIVE_INFINITY;
  let inFlight = 0;

  function settled(startedMs: number): void {
    inFlight--;
    const at = now();
    if (at - startedMs <= targetMs) {
      capacity = Math.min(maxCapacity, capacity + 1 / capacity);
    } else if (at - lastDecreaseMs >= targetMs) {
      // Once per target time: the confirms in flight together were all slow for one reason.
      capacity = Math.max(1, capacity * decrease);
      lastDecreaseMs = at;
    }
  }

  return {
    /** Confirms this process has sent and not yet heard back about. */
    inFlight: () => inFlight,
    /** How many confirms may be in flight now. */
    capacity: () => Math.floor(capacity),
    /** Runs `confirm` if the payment queue can take it within the budget; SERVICE_UNAVAILABLE if not. */
    admit<T>(confirm: () => Promise<T>): Promise<T> {
      if (inFlight >= Math.floor(capacity)) {
        // How long what is in flight takes to answer at the limit (inFlight / rate, at the full limit).
        const retryAfterSeconds = Math.max(1, Math.ceil(((targetMs / 1000) * inFlight) / capacity));
        return Promise.reject(
          new DomainError(
            'SERVICE_UNAVAILABLE',
            `payments are at their limit (${rate}/s, ${inFlight} in flight); retry in ${retryAfterSeconds} s`,
            { retryAfterSeconds },
          ),
        );
      }
      inFlight++;
      const startedMs = now();
      const running = confirm();
      // The update goes on after the budget: the slot is freed when the workflow has answered.
      running.then(
        () => settled(startedMs),
        () => settled(startedMs),
      );
      return running;
    },
  };
}

export type PaymentAdmission = ReturnType<typeof createPaymentAdmission>;
