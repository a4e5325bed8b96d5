// Owns admission to the payment queue. It charges PAYMENT_RATE_LIMIT_PER_SECOND a second, so a confirm
// that would queue past the API's wait budget behind the ones already in flight is refused at once, 503
// with Retry-After, rather than answered 202 seconds later while it adds updates to a backlog. This is
// the checkout's saturation signal (the waiting room builds on it). Counted per API process.
import { DomainError } from '../../src/errors';
import type { Config } from '../../src/platform/config';

/** Of the budget, the share a queued confirm may spend waiting for its turn at the payment limit. */
const queueShareOfBudget = 0.8;

export function createPaymentAdmission(config: Pick<Config, 'apiWaitMs' | 'payments'>) {
  const rate = config.payments.rateLimitPerSecond;
  const capacity = Math.max(1, Math.floor(rate * (config.apiWaitMs / 1000) * queueShareOfBudget));
  let inFlight = 0;
  return {
    /** Confirms this process has sent and not yet heard back about. */
    inFlight: () => inFlight,
    capacity,
    /** Runs `confirm` if the payment queue can take it within the budget; SERVICE_UNAVAILABLE if not. */
    admit<T>(confirm: () => Promise<T>): Promise<T> {
      if (inFlight >= capacity) {
        const retryAfterSeconds = Math.max(1, Math.ceil(inFlight / rate));
        return Promise.reject(
          new DomainError(
            'SERVICE_UNAVAILABLE',
            `payments are at their limit (${rate}/s, ${inFlight} in flight); retry in ${retryAfterSeconds} s`,
            { retryAfterSeconds },
          ),
        );
      }
      inFlight++;
      const running = confirm();
      // The update goes on after the budget: the slot is freed when the workflow has answered.
      running.then(
        () => inFlight--,
        () => inFlight--,
      );
      return running;
    },
  };
}

export type PaymentAdmission = ReturnType<typeof createPaymentAdmission>;
