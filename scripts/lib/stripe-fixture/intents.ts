// Owns the PaymentIntent lifecycle: create, confirm (the charge), 3-D Secure, cancel, and hung confirmations.
import type Stripe from 'stripe';
import type { StripeFault } from './faults';
import type { IntentRecord, Ledger } from './ledger';
import { authenticationFailed, type Decline, declines, requiresActionMethod } from './payment-methods';
import type { Webhooks } from './webhooks';
import { invalidRequest, newId, nowSeconds, type Params, parseJson, type Reply, randomToken } from './wire';

/** Thrown by a hung request released because the fixture stops: its connection is dropped, not answered. */
export class FixtureStopped extends Error {
  constructor() {
    super('fixture stopped');
  }
}

export interface Intents {
  create(params: Params, template: Params, fault: StripeFault | undefined): Promise<Reply>;
  confirm(id: string, params: Params, fault: StripeFault | undefined): Promise<Reply>;
  retrieve(id: string): Reply;
  cancel(id: string, params: Params): Reply;
  /** Finishes a `requires_action` PaymentIntent as if the buyer completed (or failed) 3-D Secure. */
  completeAction(paymentIntentId: string, outcome: 'succeeded' | 'failed'): Stripe.PaymentIntent;
  /** Lets the requests hanging on a payment method (all of them without one) finish their charge. */
  releaseHung(paymentMethodId?: string): void;
}

const cancelableStatuses = [
  'requires_payment_method',
  'requires_capture',
  'requires_confirmation',
  'requires_action',
  'processing',
];

/** `stopping` aborts when the fixture stops; a hung request released then is dropped. */
export function createIntents(ledger: Ledger, webhooks: Webhooks, stopping: AbortSignal): Intents {
  /** Runs the charge of a PaymentIntent for its payment method: success, decline, 3-D Secure or a hang. */
  async function charge(record: IntentRecord, fault: StripeFault | undefined): Promise<Reply> {
    const { intent } = record;
    const paymentMethod = String(intent.payment_method);
    if (fault?.hang) {
      // The client may give up meanwhile; the charge still finishes when the hang is released.
      intent.status = 'processing';
      await new Promise<void>((resolve) => {
        record.release = resolve;
      });
      record.release = undefined;
      if (stopping.aborted) throw new FixtureStopped();
      // A cancel that won the race while the request hung is final.
      if (intent.status !== 'processing') return { status: 200, body: intent };
    }
    const decline = declines[paymentMethod];
    if (decline) return declineCharge(record, decline);
    if (paymentMethod === requiresActionMethod) {
      intent.status = 'requires_action';
      intent.next_action = { type: 'use_stripe_sdk', use_stripe_sdk: {} } as Stripe.PaymentIntent.NextAction;
      return { status: 200, body: intent };
    }
    succeed(record);
    return { status: 200, body: intent };
  }

  function succeed(record: IntentRecord): void {
    const { intent } = record;
    intent.status = 'succeeded';
    intent.amount_received = intent.amount;
    intent.latest_charge = newId('ch');
    intent.next_action = null;
    intent.last_payment_error = null;
    webhooks.emit('payment_intent.succeeded', intent);
  }

  function declineCharge(record: IntentRecord, decline: Decline): Reply {
    const { intent } = record;
    const chargeId = newId('ch');
    const error = {
      charge: chargeId,
      code: decline.code,
      decline_code: decline.declineCode,
      doc_url: `https://stripe.com/docs/error-codes/${decline.code.replace(/_/g, '-')}`,
      message: decline.message,
      payment_method: { id: intent.payment_method, object: 'payment_method', type: 'card' },
      type: 'card_error',
    };
    intent.status = 'requires_payment_method';
    intent.latest_charge = chargeId;
    intent.next_action = null;
    intent.last_payment_error = { ...error } as unknown as Stripe.PaymentIntent.LastPaymentError;
    webhooks.emit('payment_intent.payment_failed', intent);
    return { status: 402, body: { error: { ...error, payment_intent: intent } } };
  }

  return {
    async create(params, template, fault) {
      const record: IntentRecord = { intent: newIntent(params, template), refunded: 0 };
      ledger.addIntent(record);
      if (params.confirm === 'true' || params.confirm === true) return charge(record, fault);
      return { status: 200, body: record.intent };
    },

    async confirm(id, params, fault) {
      const record = ledger.intents.get(id);
      if (!record) return noSuchIntent(id);
      const { intent } = record;
      if (!['requires_payment_method', 'requires_confirmation'].includes(intent.status)) {
        return unexpectedState(
          intent,
          `You cannot confirm this PaymentIntent because it has a status of ${intent.status}.`,
        );
      }
      if (typeof params.payment_method === 'string') intent.payment_method = params.payment_method;
      if (!intent.payment_method) {
        return unexpectedState(
          intent,
          'You cannot confirm this PaymentIntent because it is missing a payment method.',
        );
      }
      return charge(record, fault);
    },

    retrieve(id) {
      const record = ledger.intents.get(id);
      return record ? { status: 200, body: record.intent } : noSuchIntent(id);
    },

    cancel(id, params) {
      const record = ledger.intents.get(id);
      if (!record) return noSuchIntent(id);
      const { intent } = record;
      if (!cancelableStatuses.includes(intent.status)) {
        return unexpectedState(
          intent,
          `You cannot cancel this PaymentIntent because it has a status of ${intent.status}. Only a PaymentIntent ` +
            `with one of the following statuses may be canceled: ${cancelableStatuses.join(', ')}.`,
        );
      }
      intent.status = 'canceled';
      intent.canceled_at = nowSeconds();
      intent.cancellation_reason =
        (params.cancellation_reason as Stripe.PaymentIntent.CancellationReason) ?? null;
      intent.next_action = null;
      webhooks.emit('payment_intent.canceled', intent);
      return { status: 200, body: intent };
    },

    completeAction(paymentIntentId, outcome) {
      const record = ledger.intents.get(paymentIntentId);
      if (!record) throw new Error(`no PaymentIntent ${paymentIntentId}`);
      if (record.intent.status !== 'requires_action') {
        throw new Error(`PaymentIntent ${paymentIntentId} is ${record.intent.status}, not requires_action`);
      }
      if (outcome === 'succeeded') succeed(record);
      else declineCharge(record, authenticationFailed);
      return structuredClone(record.intent);
    },

    releaseHung(paymentMethodId) {
      for (const record of ledger.intents.values()) {
        if (
          record.release &&
          (paymentMethodId === undefined || record.intent.payment_method === paymentMethodId)
        ) {
          record.release();
        }
      }
    },
  };
}

/** A new PaymentIntent from the create parameters, shaped from stripe-mock's response. */
function newIntent(params: Params, template: Params): Stripe.PaymentIntent {
  const id = newId('pi');
  const paymentMethod = typeof params.payment_method === 'string' ? params.payment_method : null;
  return {
    ...template,
    id,
    object: 'payment_intent',
    amount: Number(params.amount),
    amount_capturable: 0,
    amount_received: 0,
    automatic_payment_methods: params.automatic_payment_methods
      ? normalizeAutomatic(params.automatic_payment_methods as Params)
      : null,
    canceled_at: null,
    cancellation_reason: null,
    capture_method: 'automatic',
    client_secret: `${id}_secret_${randomToken(24)}`,
    confirmation_method: params.confirmation_method ?? 'automatic',
    created: nowSeconds(),
    currency: String(params.currency).toLowerCase(),
    customer: params.customer ?? null,
    description: params.description ?? null,
    last_payment_error: null,
    latest_charge: null,
    livemode: false,
    metadata: (params.metadata as Record<string, string> | undefined) ?? {},
    next_action: null,
    payment_method: paymentMethod,
    payment_method_configuration_details: null,
    payment_method_types: params.payment_method_types ? Object.values(params.payment_method_types) : ['card'],
    processing: null,
    receipt_email: params.receipt_email ?? null,
    shipping: null,
    status: paymentMethod ? 'requires_confirmation' : 'requires_payment_method',
    transfer_data: null,
  } as unknown as Stripe.PaymentIntent;
}

function normalizeAutomatic(value: Params): Params {
  return { ...value, enabled: value.enabled === 'true' || value.enabled === true };
}

function noSuchIntent(id: string): Reply {
  return invalidRequest(404, `No such payment_intent: '${id}'`, {
    code: 'resource_missing',
    param: 'intent',
  });
}

function unexpectedState(intent: Stripe.PaymentIntent, message: string): Reply {
  return invalidRequest(400, message, { code: 'payment_intent_unexpected_state', payment_intent: intent });
}

/** `POST /__fixture/payment_intents/{id}/complete_action {outcome}`; undefined for other paths. */
export function completeActionControl(
  intents: Intents,
  method: string,
  path: string,
  raw: string,
): Reply | undefined {
  const action = path.match(/^\/__fixture\/payment_intents\/([^/]+)\/complete_action$/);
  if (!action?.[1] || method !== 'POST') return undefined;
  const outcome = parseJson(raw)?.outcome;
  if (outcome !== 'succeeded' && outcome !== 'failed') {
    return { status: 400, body: { error: "expected { outcome: 'succeeded' | 'failed' }" } };
  }
  try {
    return { status: 200, body: intents.completeAction(decodeURIComponent(action[1]), outcome) };
  } catch (error) {
    return { status: 409, body: { error: (error as Error).message } };
  }
}
