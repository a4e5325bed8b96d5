// Owns what every payment activity shares about the gateway: its dependencies, reading a PaymentIntent,
// heartbeating through a call, the typed rejections (declined, not verified), and how Stripe's errors are
// recognised and described.
import { Context } from '@temporalio/activity';
import Stripe from 'stripe';
import { DomainError } from '../../src/errors';
import type { Config } from '../../src/platform/config';
import type { Pool } from '../../src/platform/db';
import type { Logger } from '../../src/platform/logger';
import type { Redis } from '../../src/platform/redis';

export interface PaymentActivityDeps {
  pool: Pool;
  stripe: Stripe;
  config: Config;
  log: Logger;
  /** Where a declined attempt is announced to the organizer's live sales view; none, no announcement. */
  redis?: Redis;
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

/** Stripe's 409: another request with this idempotency key is still executing. */
export function isInProgress(error: unknown): error is Stripe.errors.StripeError {
  return (
    error instanceof Stripe.errors.StripeError &&
    error.statusCode === 409 &&
    error.rawType === 'idempotency_error'
  );
}

/** A 5xx that Stripe replayed as the key's stored answer: the request executed and is over. */
export function isStoredServerError(error: unknown): boolean {
  return (
    error instanceof Stripe.errors.StripeAPIError &&
    (error.statusCode ?? 0) >= 500 &&
    error.headers?.['idempotent-replayed'] === 'true'
  );
}

/** How often a gateway call tells Temporal it is alive; the SDK throttles below the heartbeat timeout. */
const heartbeatEveryMs = 1000;

/**
 * Runs `work` heartbeating, so the workflow's cancellation reaches the activity: it then stops waiting
 * and reports the cancellation. A Stripe request can't be withdrawn, so `work` gets the cancellation
 * signal to check before it sends anything; what a request already sent did, the attempt check learns.
 * Outside an activity (suites calling activities directly) `work` just runs.
 */
export async function whileHeartbeating<T>(work: (cancelled: AbortSignal) => Promise<T>): Promise<T> {
  const context = activityContext();
  if (!context) return work(new AbortController().signal);
  context.heartbeat();
  const beat = setInterval(() => context.heartbeat(), heartbeatEveryMs);
  try {
    return await Promise.race([work(context.cancellationSignal), context.cancelled]);
  } finally {
    clearInterval(beat);
  }
}

function activityContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
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
