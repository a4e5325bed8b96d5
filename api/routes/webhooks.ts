// Owns Stripe's webhook endpoint: verify the signature, process each event once, re-read the
// PaymentIntent from Stripe rather than trusting the payload, and hand the outcome to the reservation's
// workflow, or to a late-payment workflow when the reservation has already ended.
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { DomainError } from '../../src/errors';
import { claimWebhookEvent, markWebhookEventProcessed } from '../../src/payments/webhook-events';
import type { Config } from '../../src/platform/config';
import type { Pool } from '../../src/platform/db';
import type { Stripe } from '../../src/platform/stripe';
import { latePaymentWorkflowId, latePaymentWorkflowType } from '../../workflows/late-payment/contract';
import type { latePaymentWorkflow } from '../../workflows/late-payment/workflow';
import { paymentOutcomeSignal } from '../../workflows/reservation/contract';
import { PaymentIntentId } from '../../workflows/search-attributes';
import type { AppEnv } from '../app';
import { problemResponse } from '../schemas/problem';

export interface WebhookDeps {
  config: Config;
  pool: Pool;
  stripe: Stripe;
  temporal: Client;
}

const paymentIntentEvents = new Set([
  'payment_intent.succeeded',
  'payment_intent.payment_failed',
  'payment_intent.canceled',
]);

export function webhookRoutes(deps: WebhookDeps) {
  const app = new OpenAPIHono<AppEnv>();

  /** Tells the reservation's workflow; if it has ended, a succeeded charge goes to a late-payment workflow. */
  async function deliver(reservationId: string, intent: Stripe.PaymentIntent): Promise<string> {
    const succeeded = intent.status === 'succeeded';
    const failed = intent.status === 'requires_payment_method' || intent.status === 'canceled';
    if (!succeeded && !failed) return `ignored: PaymentIntent is ${intent.status}`;
    const outcome = {
      paymentIntentId: intent.id,
      status: succeeded ? ('succeeded' as const) : ('failed' as const),
      error: intent.last_payment_error?.message,
    };
    const handle = deps.temporal.workflow.getHandle(reservationId);
    const running = await handle.describe().then(
      (description) => description.status.name === 'RUNNING',
      (error: unknown) => {
        if (error instanceof WorkflowNotFoundError) return false;
        throw error;
      },
    );
    if (running) {
      await handle.signal(paymentOutcomeSignal, outcome);
      return `signalled ${reservationId}`;
    }
    if (!succeeded) return 'ignored: the reservation has ended and nothing was charged';
    await deps.temporal.workflow.start<typeof latePaymentWorkflow>(latePaymentWorkflowType, {
      workflowId: latePaymentWorkflowId(intent.id),
      taskQueue: deps.config.temporal.taskQueue,
      args: [
        {
          reservationId,
          paymentIntentId: intent.id,
          paymentTaskQueue: deps.config.temporal.paymentTaskQueue,
        },
      ],
      workflowIdConflictPolicy: 'USE_EXISTING',
      typedSearchAttributes: [{ key: PaymentIntentId, value: intent.id }],
      staticSummary: `Late payment ${intent.id} for ${reservationId}: sell the seats again or refund`,
    });
    return `late payment workflow for ${reservationId}`;
  }

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/webhooks/stripe',
      tags: ['payments'],
      summary: "Stripe's webhook (signed with STRIPE_WEBHOOK_SECRET)",
      request: {
        headers: z.object({ 'stripe-signature': z.string({ error: 'header is required' }).min(1) }),
      },
      responses: {
        200: {
          description: 'processed (or a duplicate delivery)',
          content: {
            'application/json': { schema: z.object({ received: z.boolean(), outcome: z.string() }) },
          },
        },
        ...problemResponse(400, 'WEBHOOK_SIGNATURE_INVALID'),
        ...problemResponse(503, 'webhooks are not configured'),
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
        throw new DomainError(
          'WEBHOOK_SIGNATURE_INVALID',
          'the Stripe-Signature header does not match this payload',
        );
      }
      if (!(await claimWebhookEvent(deps.pool, event.id, event.type))) {
        return c.json({ received: true, outcome: 'duplicate: already processed' }, 200);
      }
      let outcome = `ignored: ${event.type}`;
      if (paymentIntentEvents.has(event.type)) {
        const paymentIntentId = (event.data.object as { id: string }).id;
        // The payload is only a hint: the PaymentIntent's state is read from Stripe itself.
        const intent = await deps.stripe.paymentIntents.retrieve(paymentIntentId);
        const reservationId = intent.metadata?.reservationId;
        outcome = reservationId ? await deliver(reservationId, intent) : 'ignored: not a Boxoffice payment';
      }
      await markWebhookEventProcessed(deps.pool, event.id);
      c.get('log').info({ stripeEventId: event.id, type: event.type, outcome }, 'stripe webhook');
      return c.json({ received: true, outcome }, 200);
    },
  );

  return app;
}
