// Owns the Stripe test fixture's public API: starting the HTTP fixture in front of stripe-mock and controlling it.
//
// It adds what stripe-mock lacks (state, Stripe's idempotency rules, card declines, injected faults,
// signed webhooks), so tests and the dev stack exercise the real `stripe` client against real Stripe
// request validation. The parts: server.ts (request pipeline), idempotency.ts, intents.ts and
// refunds.ts on the state of ledger.ts, payment-methods.ts, faults.ts, webhooks.ts.
import type Stripe from 'stripe';
import { createFaults, type StripeFault } from './faults';
import { createIdempotency } from './idempotency';
import { createIntents } from './intents';
import { Ledger } from './ledger';
import { startServer } from './server';
import { createWebhooks, type WebhookTarget } from './webhooks';

export { builtInFaults, type StripeFault } from './faults';

export interface StripeFixtureOptions {
  /** stripe-mock's base URL, for example http://127.0.0.1:12111. */
  upstreamUrl: string;
  /** Port to listen on (loopback); 0 or absent picks a free one. */
  port?: number;
  /** Where to POST signed `payment_intent.*` events when a PaymentIntent reaches a final status. */
  webhook?: WebhookTarget;
}

export interface StripeFixture {
  url: string;
  stop(): Promise<void>;
  /** Replaces the fault of a payment method; requests hanging on it are released unless `hang` stays on. */
  setFault(paymentMethodId: string, fault: StripeFault): void;
  /** Clears one payment method's fault, or all of them, and releases the requests they held. */
  clearFaults(paymentMethodId?: string): void;
  paymentIntents(): Stripe.PaymentIntent[];
  refunds(): Stripe.Refund[];
  /** Finishes a `requires_action` PaymentIntent as if the buyer completed (or failed) 3-D Secure. */
  completeAction(paymentIntentId: string, outcome: 'succeeded' | 'failed'): Stripe.PaymentIntent;
  /**
   * Resolves once nothing is under way: no Stripe request being handled (slow or hung ones included)
   * and no webhook being delivered, including requests the receivers of those webhooks made.
   */
  idle(): Promise<void>;
  /** How many Stripe requests are being handled right now (slow and hung ones included). */
  requestsInFlight(): number;
}

export async function startStripeFixture(options: StripeFixtureOptions): Promise<StripeFixture> {
  const stopping = new AbortController();
  const webhooks = createWebhooks(options.webhook, stopping.signal);
  const ledger = new Ledger();
  const intents = createIntents(ledger, webhooks, stopping.signal);
  const faults = createFaults(intents.releaseHung);
  const server = await startServer(
    {
      upstreamUrl: options.upstreamUrl,
      signal: stopping.signal,
      ledger,
      intents,
      faults,
      idempotency: createIdempotency(),
    },
    options.port ?? 0,
  );
  return {
    url: server.url,
    async stop() {
      // Hung requests are released first so they drop their connections instead of charging.
      stopping.abort();
      intents.releaseHung();
      await webhooks.settled();
      await server.close();
    },
    setFault: faults.set,
    clearFaults: faults.clear,
    paymentIntents: () => ledger.paymentIntents(),
    refunds: () => ledger.refundList(),
    completeAction: intents.completeAction,
    requestsInFlight: server.inFlight,
    async idle() {
      do {
        await server.idle();
        await webhooks.settled();
      } while (server.inFlight() > 0 || webhooks.pending() > 0);
    },
  };
}
