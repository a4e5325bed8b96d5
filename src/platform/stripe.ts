// Owns the Stripe client: real Stripe by default, stripe-mock or the fault fixture through STRIPE_API_URL.
import Stripe from 'stripe';
import type { Config } from './config';
import { activeTelemetry } from './telemetry';
import { tracedStripeHttpClient } from './traced-clients';

export type { Stripe };

export function createStripe(config: Config['stripe']): Stripe {
  const override = config.apiUrl ? new URL(config.apiUrl) : undefined;
  const tracer = activeTelemetry()?.tracer;
  return new Stripe(config.secretKey, {
    // While this process traces, each request is a span under its caller's (src/platform/traced-clients.ts).
    ...(tracer && { httpClient: tracedStripeHttpClient(tracer) }),
    // Temporal owns retries (visible in history); each call carries an explicit idempotency key.
    maxNetworkRetries: 0,
    // Below the payment activity's 20 s start-to-close, so a slow call still records its failure.
    timeout: 15_000,
    ...(override && {
      host: override.hostname,
      port: Number(override.port || (override.protocol === 'https:' ? 443 : 80)),
      protocol: override.protocol === 'https:' ? 'https' : 'http',
    }),
  });
}
