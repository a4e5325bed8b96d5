// Owns Stripe's webhook endpoint: verify the signature, process each event once, re-read the
// PaymentIntent from Stripe rather than trusting the payload, and hand its outcome to the workflows
// (api/workflows/payments.ts).
import { OpenAPIHono, z } from '@hono/zod-openapi';
import { DomainError } from '../../src/errors';
import { auditStatusOf, recordIntentStatus } from '../../src/payments/payments';
import { claimWebhookEvent, markWebhookEventProcessed } from '../../src/payments/webhook-events';
import type { Stripe } from '../../src/platform/stripe';
import type { PaymentOutcome } from '../../workflows/reservation/contract';
import type { AppEnv, RouteDeps } from '../env';
import { json } from '../schemas/http';
import { problems } from '../schemas/problem';
import type { Delivery } from '../workflows/payments';
import { routesOf } from './route';

const route = routesOf('payments');

const signatureHeaderMaxLength = 2048;

const paymentIntentEvents = new Set([
  'payment_intent.succeeded',
  'payment_intent.payment_failed',
  'payment_intent.canceled',
]);

/** What a PaymentIntent's state says about its payment; undefined while it is neither paid nor failed. */
function paymentOutcomeOf(intent: Stripe.PaymentIntent): PaymentOutcome | undefined {
  const succeeded = intent.status === 'succeeded';
  const failed = intent.status === 'requires_payment_method' || intent.status === 'canceled';
  if (!succeeded && !failed) return undefined;
  return {
    paymentIntentId: intent.id,
    status: succeeded ? 'succeeded' : 'failed',
    error: intent.last_payment_error?.message,
  };
}

/** What became of one delivery: a Delivery, or a repeat of an event already processed. */
type Handled = { outcome: Delivery['outcome'] | 'duplicate'; detail: string };

export function webhookRoutes(deps: Pick<RouteDeps, 'config' | 'pool' | 'stripe' | 'payments' | 'metrics'>) {
  const app = new OpenAPIHono<AppEnv>();

  /** Tells the reservation's workflow; if it has ended, a succeeded charge goes to a late-payment workflow. */
  async function deliver(reservationId: string, intent: Stripe.PaymentIntent): Promise<Delivery> {
    const outcome = paymentOutcomeOf(intent);
    if (!outcome) return { outcome: 'ignored', detail: `ignored: PaymentIntent is ${intent.status}` };
    // The gateway's answer completes the attempt's audit row (3-D Secure and other asynchronous
    // payments end here, not in the charge activity), before any workflow acts on it.
    await recordIntentStatus(deps.pool, intent.id, auditStatusOf(intent.status));
    return deps.payments.deliver(reservationId, outcome);
  }

  /** Processes a verified event once: a repeat delivery of one already processed changes nothing. */
  async function handle(event: Stripe.Event): Promise<Handled> {
    if (!(await claimWebhookEvent(deps.pool, event.id, event.type))) {
      return { outcome: 'duplicate', detail: 'duplicate: already processed' };
    }
    let handled: Handled = { outcome: 'ignored', detail: `ignored: ${event.type}` };
    if (paymentIntentEvents.has(event.type)) {
      const paymentIntentId = (event.data.object as { id: string }).id;
      // The payload is only a hint: the PaymentIntent's state is read from Stripe itself.
      const intent = await deps.stripe.paymentIntents.retrieve(paymentIntentId);
      const reservationId = intent.metadata?.reservationId;
      handled = reservationId
        ? await deliver(reservationId, intent)
        : { outcome: 'ignored', detail: 'ignored: not a Boxoffice payment' };
    }
    await markWebhookEventProcessed(deps.pool, event.id);
    return handled;
  }

  app.openapi(
    route('post', '/v1/webhooks/stripe', {
      summary: "Stripe's webhook (signed with STRIPE_WEBHOOK_SECRET)",
      request: {
        // Stripe's header is a timestamp and one or a few signatures: far below this cap.
        headers: z.object({
          'stripe-signature': z.string({ error: 'header is required' }).min(1).max(signatureHeaderMaxLength),
        }),
      },
      responses: {
        200: json(
          z.object({ received: z.boolean(), outcome: z.string() }),
          'processed (or a duplicate delivery)',
        ),
        ...problems({ 400: 'WEBHOOK_SIGNATURE_INVALID', 503: 'webhooks are not configured' }),
      },
    }),
    async (c) => {
      const secret = deps.config.stripe.webhookSecret;
      if (!secret)
        throw new DomainError('SERVICE_UNAVAILABLE', 'webhooks are not configured (STRIPE_WEBHOOK_SECRET)');
      const payload = await c.req.text();
      let event: Stripe.Event;
      try {
        event = await deps.stripe.webhooks.constructEventAsync(
          payload,
          c.req.valid('header')['stripe-signature'],
          secret,
        );
      } catch {
        deps.metrics.webhooks.inc({ outcome: 'invalid_signature' });
        throw new DomainError(
          'WEBHOOK_SIGNATURE_INVALID',
          'the Stripe-Signature header does not match this payload',
        );
      }
      const { outcome, detail } = await handle(event);
      deps.metrics.webhooks.inc({ outcome });
      c.get('log').info({ stripeEventId: event.id, type: event.type, outcome: detail }, 'stripe webhook');
      return c.json({ received: true, outcome: detail }, 200);
    },
  );

  return app;
}
