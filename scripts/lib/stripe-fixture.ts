// Owns the Stripe test fixture: a small HTTP server in front of stripe-mock that adds what stripe-mock
// lacks (state, Stripe's idempotency rules, card declines, injected faults, signed webhooks), so tests
// and the dev stack exercise the real `stripe` client against real Stripe request validation.
//
// Every request is first forwarded to stripe-mock, which checks the key and the parameters against
// Stripe's OpenAPI spec; its errors are passed through. PaymentIntents and refunds are then answered
// from the fixture's own state, shaped from stripe-mock's response.
//
// Idempotency (POST only), as documented by Stripe for API v1:
// - A result is stored once the endpoint started executing, whatever its status (a decline, an
//   over-refund): the same key with the same method, path and parameters replays it with
//   `Idempotent-Replayed: true`; with anything else it is a 400 `idempotency_error`.
// - Requests that never reached execution store nothing and may be retried with the same key:
//   parameter validation errors, the 5xx/429 of `failWith5xx`/`rateLimited` (an outage in front of
//   the API), and a 409 for a key whose first request is still executing (`hang`).
// - `failAfterCharge` models a response lost on the way back: the charge (or refund) is executed and
//   its real result stored, the client receives a 500, and a retry with the same key gets the result.
//
// Payment method ids: `pm_card_visa` and any other `pm_...` id succeed; Stripe's decline test ids
// answer 402 card errors; `pm_card_authenticationRequired` stops at `requires_action` until
// `completeAction`. Built-in fault ids for manual use: `pm_fault_slow`, `pm_fault_500_once`,
// `pm_fault_hang`, `pm_fault_lost_response`. Faults apply to the requests that move money for a payment
// method (creating/confirming its PaymentIntents and refunding them), never to reads and cancels, so
// reconciliation always sees the truth. Control over HTTP: `/__fixture/...` (see `handleControl`).
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import Stripe from 'stripe';

export interface StripeFault {
  /** Delay before the request is handled. */
  latencyMs?: number;
  /** Answer the next N calls with a 500 `api_error` before executing them (nothing stored). */
  failWith5xx?: number;
  /** Answer the next N calls with a 429 `rate_limit` before executing them (nothing stored). */
  rateLimited?: number;
  /** Create the PaymentIntent as `processing` and never answer until the fault is cleared or the fixture stops. */
  hang?: boolean;
  /** Execute and store the charge or refund, then answer 500: the response is lost, the money moved. */
  failAfterCharge?: boolean;
}

export interface StripeFixtureOptions {
  /** stripe-mock's base URL, for example http://127.0.0.1:12111. */
  upstreamUrl: string;
  /** Port to listen on (loopback); 0 or absent picks a free one. */
  port?: number;
  /** Where to POST signed `payment_intent.*` events when a PaymentIntent reaches a final status. */
  webhook?: { url: string; secret: string };
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
}

/** Built-in payment method ids with a fixed fault, for trying failures by hand in the dev stack. */
export const builtInFaults = {
  pm_fault_slow: 'answers after 2 s, then succeeds',
  pm_fault_500_once:
    'the first request of each Idempotency-Key answers 500 (nothing stored); a retry succeeds',
  pm_fault_hang: 'never answers; the PaymentIntent stays processing until faults are cleared',
  pm_fault_lost_response: 'charges, then answers 500; a retry with the same key gets the success',
} as const;

const builtInFault: Record<string, StripeFault> = {
  pm_fault_slow: { latencyMs: 2000 },
  pm_fault_hang: { hang: true },
  pm_fault_lost_response: { failAfterCharge: true },
};

type Decline = { code: string; declineCode: string; message: string };

/** Stripe's documented decline test payment methods and the errors real Stripe answers for them. */
const declines: Record<string, Decline> = {
  pm_card_chargeDeclined: {
    code: 'card_declined',
    declineCode: 'generic_decline',
    message: 'Your card was declined.',
  },
  pm_card_chargeDeclinedInsufficientFunds: {
    code: 'card_declined',
    declineCode: 'insufficient_funds',
    message: 'Your card has insufficient funds.',
  },
  pm_card_chargeDeclinedFraudulent: {
    code: 'card_declined',
    declineCode: 'fraudulent',
    message: 'Your card was declined.',
  },
  pm_card_chargeDeclinedExpiredCard: {
    code: 'expired_card',
    declineCode: 'expired_card',
    message: 'Your card has expired.',
  },
  pm_card_chargeDeclinedIncorrectCvc: {
    code: 'incorrect_cvc',
    declineCode: 'incorrect_cvc',
    message: "Your card's security code is incorrect.",
  },
  pm_card_chargeDeclinedProcessingError: {
    code: 'processing_error',
    declineCode: 'processing_error',
    message: 'An error occurred while processing your card. Try again in a little bit.',
  },
};

const requiresActionMethod = 'pm_card_authenticationRequired';
const cancelableStatuses = [
  'requires_payment_method',
  'requires_capture',
  'requires_confirmation',
  'requires_action',
  'processing',
];

interface Reply {
  status: number;
  body: unknown;
}

interface IdempotencyRecord {
  fingerprint: string;
  reply?: Reply;
}

interface IntentRecord {
  intent: Stripe.PaymentIntent;
  refunded: number;
  /** Resolves a hung create/confirm; undefined unless a request is hanging on this PaymentIntent. */
  release?: () => void;
}

type Params = Record<string, unknown>;

export async function startStripeFixture(options: StripeFixtureOptions): Promise<StripeFixture> {
  const upstream = options.upstreamUrl.replace(/\/$/, '');
  const faults = new Map<string, StripeFault>();
  const intents = new Map<string, IntentRecord>();
  const refunds = new Map<string, Stripe.Refund>();
  const idempotency = new Map<string, IdempotencyRecord>();
  const failedOnceKeys = new Set<string>();
  const stopping = new AbortController();
  const deliveries = new Set<Promise<void>>();
  // Insertion order doubles as creation order for lists (newest first), below Stripe's 1 s `created`.
  let sequence = 0;
  const order = new Map<string, number>();

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent && !res.destroyed) {
        send(res, { status: 500, body: apiError(`stripe fixture: ${(error as Error).message}`) });
      }
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fixture');
    const raw = await readBody(req);
    if (url.pathname.startsWith('/__fixture/'))
      return send(res, handleControl(req.method ?? 'GET', url, raw));

    const route = matchRoute(req.method ?? 'GET', url.pathname);
    if (!route) return send(res, await forward(req, url, raw));

    const params = parseForm(req.method === 'GET' ? url.search.slice(1) : raw);
    const paymentMethodId = paymentMethodOf(route, params);
    const fault = paymentMethodId ? faultFor(paymentMethodId) : undefined;
    const movesMoney =
      route.name === 'createIntent' || route.name === 'confirmIntent' || route.name === 'createRefund';

    if (movesMoney && fault?.latencyMs) await delay(fault.latencyMs, undefined, { signal: stopping.signal });
    if (movesMoney && paymentMethodId) {
      const outage = takeOutage(paymentMethodId, req.headers['idempotency-key']);
      if (outage) return send(res, outage);
    }

    // Idempotency: POSTs with a key replay their stored result or are rejected when reused differently.
    const key = req.method === 'POST' ? header(req, 'idempotency-key') : undefined;
    const fingerprint = `${req.method} ${url.pathname} ${canonical(raw)}`;
    if (key) {
      const record = idempotency.get(key);
      if (record && record.fingerprint !== fingerprint) return send(res, idempotencyMismatch(key));
      if (record && !record.reply) return send(res, idempotencyInProgress(key));
      if (record?.reply)
        return send(res, record.reply, { 'Idempotent-Replayed': 'true', 'Idempotency-Key': key });
    }

    // Validation failures never reach execution, so they store nothing, exactly like Stripe's.
    const validated = await forward(req, url, raw);
    if (validated.status >= 400) return send(res, validated);
    const rejected =
      unsupported(route, params) ?? (paymentMethodId ? unknownPaymentMethod(paymentMethodId) : undefined);
    if (rejected) return send(res, rejected);
    const template = validated.body as Params;

    if (key) idempotency.set(key, { fingerprint });
    let reply: Reply;
    try {
      reply = await execute(route, params, template, fault, res);
    } catch (error) {
      if (key) idempotency.delete(key);
      throw error;
    }
    if (key) idempotency.set(key, { fingerprint, reply });
    if (movesMoney && fault?.failAfterCharge) {
      return send(res, {
        status: 500,
        body: apiError('An unknown error occurred while processing the request.'),
      });
    }
    send(res, reply, key ? { 'Idempotency-Key': key } : {});
  }

  async function execute(
    route: Route,
    params: Params,
    template: Params,
    fault: StripeFault | undefined,
    res: ServerResponse,
  ): Promise<Reply> {
    switch (route.name) {
      case 'createIntent':
        return createIntent(params, template, fault, res);
      case 'confirmIntent':
        return confirmIntent(route.id, params, fault, res);
      case 'listIntents':
        return { status: 200, body: listOf('/v1/payment_intents', intentsMatching(params), params) };
      case 'searchIntents':
        return searchIntents(params);
      case 'retrieveIntent': {
        const record = intents.get(route.id);
        return record ? { status: 200, body: record.intent } : noSuchIntent(route.id, 404);
      }
      case 'cancelIntent':
        return cancelIntent(route.id, params);
      case 'createRefund':
        return createRefund(params, template);
      case 'listRefunds': {
        const matching = [...refunds.values()].filter(
          (refund) =>
            (!params.payment_intent || refund.payment_intent === params.payment_intent) &&
            (!params.charge || refund.charge === params.charge),
        );
        return { status: 200, body: listOf('/v1/refunds', newestFirst(matching), params) };
      }
      case 'retrieveRefund': {
        const refund = refunds.get(route.id);
        return refund
          ? { status: 200, body: refund }
          : invalidRequest(404, `No such refund: '${route.id}'`, { code: 'resource_missing', param: 'id' });
      }
    }
  }

  async function createIntent(
    params: Params,
    template: Params,
    fault: StripeFault | undefined,
    res: ServerResponse,
  ): Promise<Reply> {
    const id = newId('pi');
    const paymentMethod = typeof params.payment_method === 'string' ? params.payment_method : null;
    const intent = {
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
      payment_method_types: params.payment_method_types
        ? Object.values(params.payment_method_types)
        : ['card'],
      processing: null,
      receipt_email: params.receipt_email ?? null,
      shipping: null,
      status: paymentMethod ? 'requires_confirmation' : 'requires_payment_method',
      transfer_data: null,
    } as unknown as Stripe.PaymentIntent;
    const record: IntentRecord = { intent, refunded: 0 };
    intents.set(id, record);
    order.set(id, sequence++);
    if (params.confirm === 'true' || params.confirm === true) return confirm(record, fault, res);
    return { status: 200, body: intent };
  }

  async function confirmIntent(
    id: string,
    params: Params,
    fault: StripeFault | undefined,
    res: ServerResponse,
  ): Promise<Reply> {
    const record = intents.get(id);
    if (!record) return noSuchIntent(id, 404);
    const { intent } = record;
    if (!['requires_payment_method', 'requires_confirmation'].includes(intent.status)) {
      return unexpectedState(
        intent,
        `You cannot confirm this PaymentIntent because it has a status of ${intent.status}.`,
      );
    }
    if (typeof params.payment_method === 'string') intent.payment_method = params.payment_method;
    if (!intent.payment_method) {
      return invalidRequest(
        400,
        'You cannot confirm this PaymentIntent because it is missing a payment method.',
        {
          code: 'payment_intent_unexpected_state',
          payment_intent: intent,
        },
      );
    }
    return confirm(record, fault, res);
  }

  /** Runs the charge of a PaymentIntent for its payment method: success, decline, 3-D Secure or a hang. */
  async function confirm(
    record: IntentRecord,
    fault: StripeFault | undefined,
    res: ServerResponse,
  ): Promise<Reply> {
    const { intent } = record;
    const paymentMethod = String(intent.payment_method);
    if (fault?.hang) {
      // The client may give up meanwhile; the charge still finishes when the hang is released.
      intent.status = 'processing';
      await new Promise<void>((resolve) => {
        record.release = resolve;
      });
      record.release = undefined;
      if (stopping.signal.aborted) {
        res.destroy();
        throw new Error('fixture stopped');
      }
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
    emit('payment_intent.succeeded', intent);
  }

  function declineCharge(record: IntentRecord, decline: Decline): Reply {
    const { intent } = record;
    const charge = newId('ch');
    const error = {
      charge,
      code: decline.code,
      decline_code: decline.declineCode,
      doc_url: `https://stripe.com/docs/error-codes/${decline.code.replace(/_/g, '-')}`,
      message: decline.message,
      payment_method: { id: intent.payment_method, object: 'payment_method', type: 'card' },
      type: 'card_error',
    };
    intent.status = 'requires_payment_method';
    intent.latest_charge = charge;
    intent.next_action = null;
    intent.last_payment_error = { ...error } as unknown as Stripe.PaymentIntent.LastPaymentError;
    emit('payment_intent.payment_failed', intent);
    return { status: 402, body: { error: { ...error, payment_intent: intent } } };
  }

  function cancelIntent(id: string, params: Params): Reply {
    const record = intents.get(id);
    if (!record) return noSuchIntent(id, 404);
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
    emit('payment_intent.canceled', intent);
    return { status: 200, body: intent };
  }

  function createRefund(params: Params, template: Params): Reply {
    const record = findIntentForRefund(params);
    if (!record) {
      const param = params.payment_intent ? 'payment_intent' : 'charge';
      const kind = params.payment_intent ? 'payment_intent' : 'charge';
      return invalidRequest(400, `No such ${kind}: '${String(params[param] ?? '')}'`, {
        code: 'resource_missing',
        param,
      });
    }
    const { intent } = record;
    if (intent.status !== 'succeeded') {
      return invalidRequest(
        400,
        `This PaymentIntent (${intent.id}) does not have a successful charge to refund.`,
        {
          param: 'payment_intent',
        },
      );
    }
    const remaining = intent.amount_received - record.refunded;
    if (remaining <= 0) {
      return invalidRequest(400, `Charge ${intent.latest_charge} has already been refunded.`, {
        code: 'charge_already_refunded',
      });
    }
    const amount = params.amount === undefined ? remaining : Number(params.amount);
    if (amount > remaining) {
      return invalidRequest(
        400,
        `Refund amount (${money(amount, intent.currency)}) is greater than unrefunded amount on charge ` +
          `(${money(remaining, intent.currency)})`,
        { code: 'amount_too_large', param: 'amount' },
      );
    }
    record.refunded += amount;
    const refund = {
      ...template,
      id: newId('re'),
      object: 'refund',
      amount,
      balance_transaction: null,
      charge: intent.latest_charge,
      created: nowSeconds(),
      currency: intent.currency,
      metadata: (params.metadata as Record<string, string> | undefined) ?? {},
      payment_intent: intent.id,
      reason: params.reason ?? null,
      status: 'succeeded',
    } as unknown as Stripe.Refund;
    refunds.set(refund.id, refund);
    order.set(refund.id, sequence++);
    return { status: 200, body: refund };
  }

  function findIntentForRefund(params: Params): IntentRecord | undefined {
    if (typeof params.payment_intent === 'string') return intents.get(params.payment_intent);
    if (typeof params.charge === 'string') {
      return [...intents.values()].find((record) => record.intent.latest_charge === params.charge);
    }
    return undefined;
  }

  function intentsMatching(params: Params): Stripe.PaymentIntent[] {
    const created = params.created;
    const range: Params =
      created === undefined ? {} : typeof created === 'object' ? (created as Params) : { eq: created };
    const within = (value: number) =>
      (range.eq === undefined || value === Number(range.eq)) &&
      (range.gte === undefined || value >= Number(range.gte)) &&
      (range.gt === undefined || value > Number(range.gt)) &&
      (range.lte === undefined || value <= Number(range.lte)) &&
      (range.lt === undefined || value < Number(range.lt));
    return newestFirst(
      [...intents.values()]
        .map((record) => record.intent)
        .filter(
          (intent) =>
            within(intent.created) && (params.customer === undefined || intent.customer === params.customer),
        ),
    );
  }

  /** Stripe's search query language, restricted to `field:'value'` clauses joined by AND. */
  function searchIntents(params: Params): Reply {
    const clauses = String(params.query ?? '')
      .split(/\s+AND\s+/)
      .map((clause) =>
        clause.trim().match(/^(metadata\[['"]([^'"]+)['"]\]|status|currency|amount):['"]?([^'"]*)['"]?$/),
      );
    if (clauses.length === 0 || clauses.some((clause) => clause === null)) {
      return invalidRequest(400, "stripe fixture: search supports only field:'value' clauses joined by AND", {
        param: 'query',
      });
    }
    const matches = [...intents.values()]
      .map((record) => record.intent)
      .filter((intent) =>
        clauses.every((clause) => {
          const [, field, metadataKey, value] = clause as RegExpMatchArray;
          if (metadataKey) return intent.metadata[metadataKey] === value;
          return String(intent[field as 'status' | 'currency' | 'amount']) === value;
        }),
      );
    const limit = clampLimit(params.limit);
    return {
      status: 200,
      body: {
        object: 'search_result',
        data: newestFirst(matches).slice(0, limit),
        has_more: matches.length > limit,
        next_page: null,
        url: '/v1/payment_intents/search',
      },
    };
  }

  function newestFirst<T extends { id: string }>(items: T[]): T[] {
    return [...items].sort((a, b) => (order.get(b.id) ?? 0) - (order.get(a.id) ?? 0));
  }

  function listOf<T extends { id: string }>(path: string, items: T[], params: Params) {
    let start = 0;
    if (typeof params.starting_after === 'string') {
      start = items.findIndex((item) => item.id === params.starting_after) + 1;
    }
    let end = items.length;
    if (typeof params.ending_before === 'string') {
      end = Math.max(
        items.findIndex((item) => item.id === params.ending_before),
        0,
      );
    }
    const limit = clampLimit(params.limit);
    const page =
      typeof params.ending_before === 'string'
        ? items.slice(Math.max(end - limit, 0), end)
        : items.slice(start, start + limit);
    const hasMore = typeof params.ending_before === 'string' ? end - limit > 0 : start + limit < items.length;
    return { object: 'list', data: page, has_more: hasMore, url: path };
  }

  function paymentMethodOf(route: Route, params: Params): string | undefined {
    if (route.name === 'createIntent' && typeof params.payment_method === 'string')
      return params.payment_method;
    if (route.name === 'confirmIntent') {
      if (typeof params.payment_method === 'string') return params.payment_method;
      const method = intents.get(route.id)?.intent.payment_method;
      return typeof method === 'string' ? method : undefined;
    }
    if (route.name === 'createRefund') {
      const method = findIntentForRefund(params)?.intent.payment_method;
      return typeof method === 'string' ? method : undefined;
    }
    return undefined;
  }

  function faultFor(paymentMethodId: string): StripeFault | undefined {
    return faults.get(paymentMethodId) ?? builtInFault[paymentMethodId];
  }

  /** The 5xx/429 answered before execution; counts are consumed as they fire. */
  function takeOutage(paymentMethodId: string, key: string | string[] | undefined): Reply | undefined {
    if (paymentMethodId === 'pm_fault_500_once') {
      const onceKey = typeof key === 'string' ? key : undefined;
      if (!onceKey || !failedOnceKeys.has(onceKey)) {
        if (onceKey) failedOnceKeys.add(onceKey);
        return { status: 500, body: apiError('An unknown error occurred while processing the request.') };
      }
      return undefined;
    }
    const fault = faults.get(paymentMethodId);
    if (fault?.failWith5xx && fault.failWith5xx > 0) {
      fault.failWith5xx -= 1;
      return { status: 500, body: apiError('An unknown error occurred while processing the request.') };
    }
    if (fault?.rateLimited && fault.rateLimited > 0) {
      fault.rateLimited -= 1;
      return {
        status: 429,
        body: {
          error: {
            code: 'rate_limit',
            message:
              'Too many requests hit the API too quickly. We recommend an exponential backoff of your requests.',
            type: 'invalid_request_error',
          },
        },
      };
    }
    return undefined;
  }

  function releaseHung(paymentMethodId?: string): void {
    for (const record of intents.values()) {
      if (
        record.release &&
        (paymentMethodId === undefined || record.intent.payment_method === paymentMethodId)
      ) {
        record.release();
      }
    }
  }

  async function forward(req: IncomingMessage, url: URL, raw: string): Promise<Reply & { text?: string }> {
    const headers: Record<string, string> = {};
    for (const name of ['authorization', 'content-type', 'stripe-version', 'stripe-account']) {
      const value = header(req, name);
      if (value) headers[name] = value;
    }
    const method = req.method ?? 'GET';
    const response = await fetch(`${upstream}${url.pathname}${url.search}`, {
      method,
      headers,
      body: method === 'GET' || method === 'HEAD' ? undefined : raw,
      signal: stopping.signal,
    });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON: passed through as text
    }
    return { status: response.status, body };
  }

  function emit(type: string, intent: Stripe.PaymentIntent): void {
    const webhook = options.webhook;
    if (!webhook) return;
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
    const delivery = deliver(webhook, JSON.stringify(event)).finally(() => deliveries.delete(delivery));
    deliveries.add(delivery);
  }

  /** Delivers like Stripe: retried with backoff until a 2xx (a few times here, days at Stripe). */
  async function deliver(webhook: { url: string; secret: string }, payload: string): Promise<void> {
    for (let attempt = 0; attempt < 6 && !stopping.signal.aborted; attempt += 1) {
      try {
        const signature = Stripe.webhooks.generateTestHeaderString({ payload, secret: webhook.secret });
        const response = await fetch(webhook.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'stripe-signature': signature },
          body: payload,
          signal: stopping.signal,
        });
        await response.arrayBuffer();
        if (response.ok) return;
      } catch {
        // receiver down or fixture stopping: retry below unless stopping
      }
      await delay(100 * 2 ** attempt, undefined, { signal: stopping.signal }).catch(() => {});
    }
  }

  function handleControl(method: string, url: URL, raw: string): Reply {
    const path = url.pathname;
    if (path === '/__fixture/faults' && method === 'GET') {
      return { status: 200, body: Object.fromEntries(faults) };
    }
    if (path === '/__fixture/faults' && method === 'POST') {
      const body = parseJson(raw);
      const fault = body && parseFault(body);
      if (!body || typeof body.paymentMethodId !== 'string' || !fault) {
        return {
          status: 400,
          body: {
            error:
              'expected { paymentMethodId, latencyMs?, failWith5xx?, rateLimited?, hang?, failAfterCharge? }',
          },
        };
      }
      fixture.setFault(body.paymentMethodId, fault);
      return { status: 200, body: { paymentMethodId: body.paymentMethodId, ...fault } };
    }
    if (path === '/__fixture/faults' && method === 'DELETE') {
      fixture.clearFaults();
      return { status: 204, body: null };
    }
    const one = path.match(/^\/__fixture\/faults\/([^/]+)$/);
    if (one?.[1] && method === 'DELETE') {
      fixture.clearFaults(decodeURIComponent(one[1]));
      return { status: 204, body: null };
    }
    const action = path.match(/^\/__fixture\/payment_intents\/([^/]+)\/complete_action$/);
    if (action?.[1] && method === 'POST') {
      const outcome = parseJson(raw)?.outcome;
      if (outcome !== 'succeeded' && outcome !== 'failed') {
        return { status: 400, body: { error: "expected { outcome: 'succeeded' | 'failed' }" } };
      }
      try {
        return {
          status: 200,
          body: fixture.completeAction(decodeURIComponent(action[1]), outcome),
        };
      } catch (error) {
        return { status: 409, body: { error: (error as Error).message } };
      }
    }
    return { status: 404, body: { error: `unknown fixture control ${method} ${path}` } };
  }

  const fixture: StripeFixture = {
    url: '',
    async stop() {
      stopping.abort();
      releaseHung();
      await Promise.allSettled([...deliveries]);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
    setFault(paymentMethodId, fault) {
      faults.set(paymentMethodId, { ...fault });
      if (!fault.hang) releaseHung(paymentMethodId);
    },
    clearFaults(paymentMethodId) {
      if (paymentMethodId === undefined) faults.clear();
      else faults.delete(paymentMethodId);
      releaseHung(paymentMethodId);
    },
    paymentIntents() {
      return newestFirst([...intents.values()].map((record) => structuredClone(record.intent)));
    },
    refunds() {
      return newestFirst([...refunds.values()].map((refund) => structuredClone(refund)));
    },
    completeAction(paymentIntentId, outcome) {
      const record = intents.get(paymentIntentId);
      if (!record) throw new Error(`no PaymentIntent ${paymentIntentId}`);
      if (record.intent.status !== 'requires_action') {
        throw new Error(`PaymentIntent ${paymentIntentId} is ${record.intent.status}, not requires_action`);
      }
      if (outcome === 'succeeded') succeed(record);
      else {
        declineCharge(record, {
          code: 'payment_intent_authentication_failure',
          declineCode: 'authentication_required',
          message: 'The provided PaymentMethod has failed authentication.',
        });
      }
      return structuredClone(record.intent);
    },
  };

  await listen(server, options.port ?? 0);
  fixture.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fixture;
}

type Route =
  | { name: 'createIntent' | 'listIntents' | 'searchIntents' | 'createRefund' | 'listRefunds' }
  | { name: 'retrieveIntent' | 'cancelIntent' | 'confirmIntent' | 'retrieveRefund'; id: string };

/** Valid Stripe parameters the fixture does not model; rejected before execution, so nothing is stored. */
function unsupported(route: Route, params: Params): Reply | undefined {
  if (
    route.name === 'createIntent' &&
    params.capture_method !== undefined &&
    params.capture_method !== 'automatic'
  ) {
    return invalidRequest(400, 'stripe fixture: only capture_method=automatic is supported', {
      param: 'capture_method',
    });
  }
  return undefined;
}

/** Any `pm_...` id is a card that works (so tests can scope faults to their own ids); others don't exist. */
function unknownPaymentMethod(paymentMethodId: string): Reply | undefined {
  if (paymentMethodId.startsWith('pm_')) return undefined;
  return invalidRequest(400, `No such PaymentMethod: '${paymentMethodId}'`, {
    code: 'resource_missing',
    param: 'payment_method',
  });
}

function matchRoute(method: string, path: string): Route | undefined {
  if (path === '/v1/payment_intents') {
    if (method === 'POST') return { name: 'createIntent' };
    if (method === 'GET') return { name: 'listIntents' };
  }
  if (path === '/v1/payment_intents/search' && method === 'GET') return { name: 'searchIntents' };
  const intent = path.match(/^\/v1\/payment_intents\/([^/]+)(?:\/(cancel|confirm))?$/);
  if (intent?.[1]) {
    const id = decodeURIComponent(intent[1]);
    if (method === 'GET' && !intent[2]) return { name: 'retrieveIntent', id };
    if (method === 'POST' && intent[2] === 'cancel') return { name: 'cancelIntent', id };
    if (method === 'POST' && intent[2] === 'confirm') return { name: 'confirmIntent', id };
  }
  if (path === '/v1/refunds') {
    if (method === 'POST') return { name: 'createRefund' };
    if (method === 'GET') return { name: 'listRefunds' };
  }
  const refund = path.match(/^\/v1\/refunds\/([^/]+)$/);
  if (refund?.[1] && method === 'GET') return { name: 'retrieveRefund', id: decodeURIComponent(refund[1]) };
  return undefined;
}

/** Parses Stripe's form encoding (`metadata[key]=v`, `types[0]=card`) into nested objects. */
function parseForm(encoded: string): Params {
  const root: Params = {};
  for (const [key, value] of new URLSearchParams(encoded)) {
    const parts = key.match(/[^[\]]+|\[\]/g) ?? [key];
    let node: Params = root;
    parts.forEach((part, index) => {
      const slot = part === '[]' ? String(Object.keys(node).length) : part;
      if (index === parts.length - 1) {
        node[slot] = value;
        return;
      }
      if (typeof node[slot] !== 'object' || node[slot] === null) node[slot] = {};
      node = node[slot] as Params;
    });
  }
  return root;
}

function normalizeAutomatic(value: Params): Params {
  return { ...value, enabled: value.enabled === 'true' || value.enabled === true };
}

function canonical(raw: string): string {
  return [...new URLSearchParams(raw)]
    .map(([key, value]) => `${key}=${value}`)
    .sort()
    .join('&');
}

function parseFault(body: Record<string, unknown>): StripeFault | undefined {
  const fault: StripeFault = {};
  for (const name of ['latencyMs', 'failWith5xx', 'rateLimited'] as const) {
    const value = body[name];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) return undefined;
    fault[name] = value;
  }
  for (const name of ['hang', 'failAfterCharge'] as const) {
    const value = body[name];
    if (value === undefined) continue;
    if (typeof value !== 'boolean') return undefined;
    fault[name] = value;
  }
  return fault;
}

function parseJson(raw: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(raw);
    return value && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function apiError(message: string) {
  return { error: { message, type: 'api_error' } };
}

function invalidRequest(status: number, message: string, extra: Record<string, unknown> = {}): Reply {
  return { status, body: { error: { ...extra, message, type: 'invalid_request_error' } } };
}

function noSuchIntent(id: string, status: number): Reply {
  return invalidRequest(status, `No such payment_intent: '${id}'`, {
    code: 'resource_missing',
    param: 'intent',
  });
}

function unexpectedState(intent: Stripe.PaymentIntent, message: string): Reply {
  return invalidRequest(400, message, { code: 'payment_intent_unexpected_state', payment_intent: intent });
}

function idempotencyMismatch(key: string): Reply {
  return {
    status: 400,
    body: {
      error: {
        message:
          `Keys for idempotent requests can only be used with the same parameters they were first used with. ` +
          `Try using a key other than '${key}' if you meant to execute a different request.`,
        type: 'idempotency_error',
      },
    },
  };
}

function idempotencyInProgress(key: string): Reply {
  return {
    status: 409,
    body: {
      error: {
        message: `There is currently another in-progress request using this Idempotency-Key: ${key}. Please try again later.`,
        type: 'idempotency_error',
      },
    },
  };
}

function send(res: ServerResponse, reply: Reply, headers: Record<string, string> = {}): void {
  if (res.destroyed || res.headersSent) return;
  const body =
    reply.body === null ? '' : typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    'content-type': 'application/json',
    'request-id': newId('req'),
    ...headers,
  });
  res.end(body);
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function clampLimit(value: unknown): number {
  const limit = value === undefined ? 10 : Number(value);
  return Number.isInteger(limit) ? Math.min(Math.max(limit, 1), 100) : 10;
}

function money(amount: number, currency: string): string {
  return `${(amount / 100).toFixed(2)} ${currency.toUpperCase()}`;
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function randomToken(length: number): string {
  return [...randomBytes(length)].map((byte) => alphabet[byte % alphabet.length]).join('');
}

function newId(prefix: string): string {
  return `${prefix}_${randomToken(24)}`;
}
