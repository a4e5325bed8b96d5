// Owns what every payment activity shares about the gateway: its dependencies, reading a PaymentIntent,
// the typed rejections (declined, not verified), and how Stripe's errors are recognised and described.
import Stripe from 'stripe';
import { DomainError } from '../../src/errors';
import type { Config } from '../../src/platform/config';
import type { Pool } from '../../src/platform/db';
import type { Logger } from '../../src/platform/logger';

export interface PaymentActivityDeps {
  pool: Pool;
  stripe: Stripe;
  config: Config;
  log: Logger;
}

/** Stripe keeps metadata values to 500 characters. */
export const stripeMetadataValueLimit = 500;

/** Reads a PaymentIntent; undefined when the gateway has none with that id. */
export async function retrieveIntent(
  stripe: Stripe,
  paymentIntentId: string,
): Promise<Stripe.PaymentIntent | undefined> {
  try {
    return await stripe.paymentIntents.retrieve(paymentIntentId);
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
}

export function declined(
  message: string,
  declineCode: string | null,
  paymentIntentId: string | null,
): DomainError {
  return new DomainError('PAYMENT_DECLINED', message, { declineCode, paymentIntentId });
}

export function notVerified(message: string): DomainError {
  return new DomainError('PAYMENT_NOT_VERIFIED', message);
}

export function isMissing(error: unknown): boolean {
  return (
    error instanceof Stripe.errors.StripeInvalidRequestError &&
    (error.statusCode === 404 || error.code === 'resource_missing')
  );
}

export function isUnexpectedState(error: unknown): boolean {
  return (
    error instanceof Stripe.errors.StripeInvalidRequestError &&
    error.code === 'payment_intent_unexpected_state'
  );
}

export function errorCode(error: unknown): string {
  if (error instanceof Stripe.errors.StripeError) return error.code ?? error.rawType ?? error.type;
  return (error as { code?: string }).code ?? 'error';
}

export function describe(error: unknown): string {
  if (error instanceof Stripe.errors.StripeError && error.statusCode) {
    return `${error.type} (HTTP ${error.statusCode}): ${error.message}`;
  }
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

export function sameCurrency(a: string, b: string): boolean {
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}

export function paymentMethodIdOf(intent: Stripe.PaymentIntent): string {
  const method = intent.payment_method;
  if (typeof method === 'string') return method;
  return method?.id ?? 'unknown';
}
