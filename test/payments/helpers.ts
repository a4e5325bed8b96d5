// Owns what the payment suites share: their own Stripe fixture in front of the run's stripe-mock (so
// faults and counts are private to a file), a Stripe client on it, and a reservation row to pay for.
import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import Stripe from 'stripe';
import { afterAll, beforeAll, inject } from 'vitest';
import { createPaymentActivities, type PaymentActivities } from '../../activities/payments';
import { cancelUnlessSucceeded } from '../../activities/payments/attempt-check';
import { retrieveIntent } from '../../activities/payments/gateway';
import { type StripeFixture, startStripeFixture } from '../../scripts/lib/stripe-fixture';
import { recordIntentStatus } from '../../src/payments/payments';
import { type Config, loadConfig } from '../../src/platform/config';
import { createPool, type Pool } from '../../src/platform/db';
import { createLogger } from '../../src/platform/logger';
import { createStripe } from '../../src/platform/stripe';
import { testDatabaseUrl } from '../helpers/urls';

export const secretKey = 'sk_test_boxoffice';

export function startFixture(
  options: { webhook?: { url: string; secret: string } } = {},
): Promise<StripeFixture> {
  return startStripeFixture({ upstreamUrl: inject('stripeMockUrl'), ...options });
}

export function testConfig(fixture: StripeFixture): Config {
  return loadConfig({
    AUTH_JWT_SECRET: 'payments-suite-secret',
    STRIPE_SECRET_KEY: secretKey,
    STRIPE_API_URL: fixture.url,
  });
}

/** A client like src/stripe.ts builds, with a timeout short enough to give up on a hung gateway. */
export function shortTimeoutStripe(fixture: StripeFixture, timeoutMs: number): Stripe {
  const url = new URL(fixture.url);
  return new Stripe(secretKey, {
    host: url.hostname,
    port: Number(url.port),
    protocol: 'http',
    maxNetworkRetries: 0,
    timeout: timeoutMs,
  });
}

/** A payment method id of one test's own, so its faults touch nothing else (any `pm_` id charges). */
export function ownPaymentMethod(): string {
  return `pm_test_${randomUUID().replaceAll('-', '')}`;
}

export interface TestReservation {
  reservationId: string;
  eventId: string;
  buyerId: string;
}

/** Inserts a minimal event and reservation (payments and refunds reference them), with random ids. */
export async function createReservation(pool: Pool, currency = 'EUR'): Promise<TestReservation> {
  const id = randomUUID();
  const eventId = `evt-pay-${id}`;
  const reservationId = `res-pay-${id}`;
  const buyerId = `buyer-${id.slice(0, 8)}`;
  await pool.query(
    `insert into events (id, name, venue, starts_at, currency, hold_seconds, max_seats_per_buyer, total_seats, created_by)
     values ($1, 'Payments suite', 'Nowhere', now() + interval '30 days', $2, 600, 10, 0, 'payments-suite')`,
    [eventId, currency],
  );
  await pool.query(
    `insert into reservations (id, event_id, buyer_id, status, amount, currency)
     values ($1, $2, $3, 'PAYING', 1000, $4)`,
    [reservationId, eventId, buyerId, currency],
  );
  return { reservationId, eventId, buyerId };
}

/** What the activity wrapper threw, as the workflow will see it. */
export async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
}

export function asFailure(error: unknown): { type?: string; nonRetryable: boolean; details: unknown } {
  if (!(error instanceof ApplicationFailure)) return { nonRetryable: false, details: undefined };
  return {
    type: error.type ?? undefined,
    nonRetryable: error.nonRetryable === true,
    details: error.details?.[0],
  };
}

/**
 * Best-effort cancel of a PaymentIntent that has not succeeded, reporting where it ended: what the attempt
 * check does to an abandoned attempt, with the audit row kept in step. Only the suites need it on its own.
 */
export async function cancelPayment(
  deps: { pool: Pool; stripe: Stripe },
  input: { paymentIntentId: string },
): Promise<{ canceled: boolean; status: Stripe.PaymentIntent.Status | 'not_found' }> {
  const intent = await retrieveIntent(deps.stripe, input.paymentIntentId);
  if (!intent) return { canceled: false, status: 'not_found' };
  const settled = await cancelUnlessSucceeded(deps.stripe, intent);
  if (settled.status === 'canceled') await recordIntentStatus(deps.pool, settled.id, 'CANCELED');
  return { canceled: settled.status === 'canceled', status: settled.status };
}

export interface PaymentSuite {
  fixture: StripeFixture;
  pool: Pool;
  stripe: Stripe;
  activities: PaymentActivities;
  /** Activities with a Stripe client that gives up after `timeoutMs`, as a caller's deadline would. */
  impatientActivities(timeoutMs: number): PaymentActivities;
  /** What a charge attempt of `reservation` sends, for 1000 EUR. */
  chargeInput(
    reservation: TestReservation,
    attempt: number,
    paymentMethodId: string,
  ): TestReservation & { attempt: number; paymentMethodId: string; amount: number; currency: string };
  /** The fixture's PaymentIntents made for `reservationId`, newest first. */
  intentsOf(reservationId: string): Stripe.PaymentIntent[];
}

/** Starts the suite's own fixture and the real payment activities on the test database, for the whole file. */
export function usePaymentSuite(): PaymentSuite {
  const log = createLogger('silent', 'payments-test');
  const suite = {
    impatientActivities: (timeoutMs: number) =>
      createPaymentActivities({
        pool: suite.pool,
        stripe: shortTimeoutStripe(suite.fixture, timeoutMs),
        config: testConfig(suite.fixture),
        log,
      }),
    chargeInput: (reservation: TestReservation, attempt: number, paymentMethodId: string) => ({
      ...reservation,
      attempt,
      paymentMethodId,
      amount: 1000,
      currency: 'EUR',
    }),
    intentsOf: (reservationId: string) =>
      suite.fixture.paymentIntents().filter((intent) => intent.metadata.reservationId === reservationId),
  } as PaymentSuite;
  beforeAll(async () => {
    suite.fixture = await startFixture();
    suite.pool = createPool(testDatabaseUrl, 4);
    const config = testConfig(suite.fixture);
    suite.stripe = createStripe(config.stripe);
    suite.activities = createPaymentActivities({ pool: suite.pool, stripe: suite.stripe, config, log });
  });
  afterAll(async () => {
    await suite.fixture.stop();
    await suite.pool.end();
  });
  return suite;
}
