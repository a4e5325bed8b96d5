// Owns the test payment method ids: which succeed, which decline with which card error, which need 3-D Secure.
//
// `pm_card_visa` and any other `pm_...` id succeed; Stripe's decline test ids answer 402 card errors;
// `pm_card_authenticationRequired` stops at `requires_action` until `completeAction`.
import { invalidRequest, type Reply } from './wire';

export interface Decline {
  code: string;
  declineCode: string;
  message: string;
}

/** Stripe's documented decline test payment methods and the errors real Stripe answers for them. */
export const declines: Record<string, Decline> = {
  pm_card_chargeDeclined: {
    code: 'card_declined',
    declineCode: 'generic_decline',
    message: 'Your card was declined.',
  },
  pm_card_chargeDeclinedInsufficientFunds: {
    code: 'card_declined',
    declineCode: 'insufficient_funds',
    message: 'Your card has insufficient funds.',
  },
  pm_card_chargeDeclinedFraudulent: {
    code: 'card_declined',
    declineCode: 'fraudulent',
    message: 'Your card was declined.',
  },
  pm_card_chargeDeclinedExpiredCard: {
    code: 'expired_card',
    declineCode: 'expired_card',
    message: 'Your card has expired.',
  },
  pm_card_chargeDeclinedIncorrectCvc: {
    code: 'incorrect_cvc',
    declineCode: 'incorrect_cvc',
    message: "Your card's security code is incorrect.",
  },
  pm_card_chargeDeclinedProcessingError: {
    code: 'processing_error',
    declineCode: 'processing_error',
    message: 'An error occurred while processing your card. Try again in a little bit.',
  },
};

/** The error when the buyer fails the 3-D Secure challenge of `requiresActionMethod`. */
export const authenticationFailed: Decline = {
  code: 'payment_intent_authentication_failure',
  declineCode: 'authentication_required',
  message: 'The provided PaymentMethod has failed authentication.',
};

export const requiresActionMethod = 'pm_card_authenticationRequired';

/** Any `pm_...` id is a card that works (so tests can scope faults to their own ids); others don't exist. */
export function unknownPaymentMethod(paymentMethodId: string): Reply | undefined {
  if (paymentMethodId.startsWith('pm_')) return undefined;
  return invalidRequest(400, `No such PaymentMethod: '${paymentMethodId}'`, {
    code: 'resource_missing',
    param: 'payment_method',
  });
}
