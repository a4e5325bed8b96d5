// Owns webhook delivery: signed `payment_intent.*` events POSTed like Stripe does, retried until a 2xx.
import { setTimeout as delay } from 'node:timers/promises';
import Stripe from 'stripe';
import { newId, nowSeconds } from './wire';

export interface WebhookTarget {
  url: string;
  secret: string;
}

export interface Webhooks {
  /** Sends an event about the PaymentIntent as it is now; does nothing without a target. */
  emit(type: string, intent: Stripe.PaymentIntent): void;
  /** Resolves once every delivery under way has finished or given up. */
  settled(): Promise<void>;
  /** How many deliveries are under way. */
  pending(): number;
}

export function createWebhooks(target: WebhookTarget | undefined, signal: AbortSignal): Webhooks {
  const deliveries = new Set<Promise<void>>();
  return {
    emit(type, intent) {
      if (!target) return;
      const event = {
        id: newId('evt'),
        object: 'event',
        api_version: Stripe.API_VERSION,
        created: nowSeconds(),
        data: { object: structuredClone(intent) },
        livemode: false,
        pending_webhooks: 1,
        request: { id: null, idempotency_key: null },
        type,
      };
      const delivery = deliver(target, JSON.stringify(event), signal).finally(() =>
        deliveries.delete(delivery),
      );
      deliveries.add(delivery);
    },
    async settled() {
      await Promise.allSettled([...deliveries]);
    },
    pending: () => deliveries.size,
  };
}

/** Delivers like Stripe: retried with backoff until a 2xx (a few times here, days at Stripe). */
async function deliver(target: WebhookTarget, payload: string, signal: AbortSignal): Promise<void> {
  for (let attempt = 0; attempt < 6 && !signal.aborted; attempt += 1) {
    try {
      const signature = Stripe.webhooks.generateTestHeaderString({ payload, secret: target.secret });
      const response = await fetch(target.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'stripe-signature': signature },
        body: payload,
        signal,
      });
      await response.arrayBuffer();
      if (response.ok) return;
    } catch {
      // receiver down or fixture stopping: retry below unless stopping
    }
    await delay(100 * 2 ** attempt, undefined, { signal }).catch(() => {});
  }
}
