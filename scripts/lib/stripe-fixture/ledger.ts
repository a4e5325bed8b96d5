// Owns the fixture's state: PaymentIntents with the amount refunded on each, refunds, and their creation order.
import type Stripe from 'stripe';
import type { Params } from './wire';

export interface IntentRecord {
  intent: Stripe.PaymentIntent;
  refunded: number;
  /** Resolves a hung create/confirm; undefined unless a request is hanging on this PaymentIntent. */
  release?: () => void;
}

export class Ledger {
  readonly intents = new Map<string, IntentRecord>();
  readonly refunds = new Map<string, Stripe.Refund>();
  // Insertion order doubles as creation order for lists (newest first), below Stripe's 1 s `created`.
  private readonly order = new Map<string, number>();
  private sequence = 0;

  addIntent(record: IntentRecord): void {
    this.intents.set(record.intent.id, record);
    this.order.set(record.intent.id, this.sequence++);
  }

  addRefund(refund: Stripe.Refund): void {
    this.refunds.set(refund.id, refund);
    this.order.set(refund.id, this.sequence++);
  }

  newestFirst<T extends { id: string }>(items: T[]): T[] {
    return [...items].sort((a, b) => (this.order.get(b.id) ?? 0) - (this.order.get(a.id) ?? 0));
  }

  /** The PaymentIntent a refund request names, by `payment_intent` or by its latest `charge`. */
  intentForRefund(params: Params): IntentRecord | undefined {
    if (typeof params.payment_intent === 'string') return this.intents.get(params.payment_intent);
    if (typeof params.charge === 'string') {
      return [...this.intents.values()].find((record) => record.intent.latest_charge === params.charge);
    }
    return undefined;
  }

  /** Copies, newest first, so callers cannot change the fixture's state. */
  paymentIntents(): Stripe.PaymentIntent[] {
    return this.newestFirst([...this.intents.values()].map((record) => structuredClone(record.intent)));
  }

  refundList(): Stripe.Refund[] {
    return this.newestFirst([...this.refunds.values()].map((refund) => structuredClone(refund)));
  }
}
