// Owns the payment activities: every call that reaches the payment gateway (charge, the check of an
// attempt, verification, refund), each audited in Postgres before and after the call, with business
// rejections turned into typed, non-retryable failures once (activities/failures.ts).
import { withDomainFailures } from '../failures';
import { createAttemptCheckActivity } from './attempt-check';
import { createChargeActivity } from './charge';
import type { PaymentActivityDeps } from './gateway';
import { createRefundPaymentActivity } from './refund';
import { createVerifyActivity } from './verify';

export type { AttemptCheck, AttemptCheckInput } from './attempt-check';
export { type ChargeInput, type ChargeResult, chargeIdempotencyKey, type NextAction } from './charge';
export type { PaymentActivityDeps } from './gateway';
export { type RefundInput, type RefundResult, refundIdempotencyKey } from './refund';
export type { VerifyInput } from './verify';

/**
 * Builds the payment activities around their dependencies.
 *
 * @example
 * const activities = createPaymentActivities({ pool, stripe: createStripe(config.stripe), config, log });
 * await activities.chargePayment({ reservationId, attempt: 1, paymentMethodId: 'pm_card_visa', ... });
 */
export function createPaymentActivities(deps: PaymentActivityDeps) {
  return withDomainFailures({
    ...createChargeActivity(deps),
    ...createAttemptCheckActivity(deps),
    ...createVerifyActivity(deps),
    ...createRefundPaymentActivity(deps),
  });
}

export type PaymentActivities = ReturnType<typeof createPaymentActivities>;
