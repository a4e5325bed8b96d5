import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { StripeFixture } from '../../scripts/lib/stripe-fixture';
import { createStripe } from '../../src/platform/stripe';
import { ownPaymentMethod, secretKey, startFixture } from './helpers';

const auth = { authorization: `Bearer ${secretKey}`, 'content-type': 'application/x-www-form-urlencoded' };

function createIntentBody(overrides: Record<string, string> = {}): string {
  return new URLSearchParams({
    amount: '1500',
    currency: 'eur',
    confirm: 'true',
    payment_method: 'pm_card_visa',
    'metadata[reservationId]': 'res-fixture',
    'automatic_payment_methods[enabled]': 'true',
    'automatic_payment_methods[allow_redirects]': 'never',
    ...overrides,
  }).toString();
}

async function post(fixture: StripeFixture, path: string, body: string, key?: string) {
  const response = await fetch(`${fixture.url}${path}`, {
    method: 'POST',
    headers: { ...auth, ...(key && { 'idempotency-key': key }) },
    body,
  });
  // biome-ignore lint/suspicious/noExplicitAny: Stripe JSON bodies are inspected field by field.
  return { status: response.status, headers: response.headers, body: (await response.json()) as any };
}

function intentsOf(fixture: StripeFixture, reservationId: string) {
  return fixture.paymentIntents().filter((intent) => intent.metadata.reservationId === reservationId);
}

describe('Stripe fixture', () => {
  let fixture: StripeFixture;
  let stripe: Stripe;

  beforeAll(async () => {
    fixture = await startFixture();
    stripe = createStripe({ secretKey, apiUrl: fixture.url });
  });
  afterAll(async () => {
    await fixture.stop();
  });

  describe('idempotency', () => {
    it('replays the stored response for the same key and parameters without a second PaymentIntent', async () => {
      const body = createIntentBody({ 'metadata[reservationId]': 'res-replay' });
      const first = await post(fixture, '/v1/payment_intents', body, 'key-replay');
      const second = await post(fixture, '/v1/payment_intents', body, 'key-replay');

      expect(first.status).toBe(200);
      expect(first.body).toMatchObject({ object: 'payment_intent', status: 'succeeded', amount: 1500 });
      expect(second.body).toEqual(first.body);
      expect(second.headers.get('idempotent-replayed')).toBe('true');
      expect(intentsOf(fixture, 'res-replay')).toHaveLength(1);
    });

    it('rejects a key reused with other parameters with a 400 idempotency_error', async () => {
      await post(
        fixture,
        '/v1/payment_intents',
        createIntentBody({ 'metadata[reservationId]': 'res-reuse' }),
        'key-reuse',
      );
      const reused = await post(
        fixture,
        '/v1/payment_intents',
        createIntentBody({ 'metadata[reservationId]': 'res-reuse', amount: '1600' }),
        'key-reuse',
      );

      expect(reused.status).toBe(400);
      expect(reused.body.error.type).toBe('idempotency_error');
      const viaClient = await stripe.paymentIntents
        .create({ amount: 9, currency: 'eur' }, { idempotencyKey: 'key-reuse' })
        .catch((error: unknown) => error);
      expect(viaClient).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
      expect(intentsOf(fixture, 'res-reuse')).toHaveLength(1);
    });

    it('stores nothing for a 5xx answered before execution, so a retry with the same key executes', async () => {
      const paymentMethod = ownPaymentMethod();
      fixture.setFault(paymentMethod, { failWith5xx: 1 });
      const body = createIntentBody({ payment_method: paymentMethod, 'metadata[reservationId]': 'res-5xx' });

      const failed = await post(fixture, '/v1/payment_intents', body, 'key-5xx');
      expect(failed.status).toBe(500);
      expect(failed.body.error.type).toBe('api_error');
      expect(intentsOf(fixture, 'res-5xx')).toHaveLength(0);

      const retried = await post(fixture, '/v1/payment_intents', body, 'key-5xx');
      expect(retried.status).toBe(200);
      expect(retried.body.status).toBe('succeeded');
      expect(intentsOf(fixture, 'res-5xx')).toHaveLength(1);
    });

    it('charges but answers 500 on failAfterCharge, then replays the real success for the same key', async () => {
      const paymentMethod = ownPaymentMethod();
      fixture.setFault(paymentMethod, { failAfterCharge: true });
      const body = createIntentBody({ payment_method: paymentMethod, 'metadata[reservationId]': 'res-lost' });

      const lost = await post(fixture, '/v1/payment_intents', body, 'key-lost');
      expect(lost.status).toBe(500);
      const [stored] = intentsOf(fixture, 'res-lost');
      expect(stored?.status).toBe('succeeded');

      const retried = await post(fixture, '/v1/payment_intents', body, 'key-lost');
      expect(retried.status).toBe(200);
      expect(retried.body.id).toBe(stored?.id);
      expect(intentsOf(fixture, 'res-lost')).toHaveLength(1);
    });

    it('charges but keeps a 500 as the answer of the key on storedServerError, replayed as such', async () => {
      const paymentMethod = ownPaymentMethod();
      fixture.setFault(paymentMethod, { storedServerError: true });
      const body = createIntentBody({ payment_method: paymentMethod, 'metadata[reservationId]': 'res-500' });

      const failed = await post(fixture, '/v1/payment_intents', body, 'key-500');
      expect(failed.status).toBe(500);
      const replayed = await post(fixture, '/v1/payment_intents', body, 'key-500');
      expect(replayed.status).toBe(500);
      expect(replayed.headers.get('idempotent-replayed')).toBe('true');
      expect(intentsOf(fixture, 'res-500').map((intent) => intent.status)).toEqual(['succeeded']);
    });

    it('is idle once no request is being handled, a slow one included', async () => {
      const paymentMethod = ownPaymentMethod();
      fixture.setFault(paymentMethod, { latencyMs: 300 });
      const body = createIntentBody({ payment_method: paymentMethod, 'metadata[reservationId]': 'res-idle' });

      const slow = post(fixture, '/v1/payment_intents', body, 'key-idle');
      await vi.waitFor(() => expect(fixture.requestsInFlight()).toBe(1));
      expect(intentsOf(fixture, 'res-idle')).toEqual([]);
      await fixture.idle();
      expect(intentsOf(fixture, 'res-idle').map((intent) => intent.status)).toEqual(['succeeded']);
      expect((await slow).status).toBe(200);
    });

    it('answers 409 while the first request of a key still executes, and its result once it finishes', async () => {
      const paymentMethod = ownPaymentMethod();
      fixture.setFault(paymentMethod, { hang: true });
      const body = createIntentBody({ payment_method: paymentMethod, 'metadata[reservationId]': 'res-hang' });

      const hanging = post(fixture, '/v1/payment_intents', body, 'key-hang');
      await vi.waitFor(() => expect(intentsOf(fixture, 'res-hang')[0]?.status).toBe('processing'));
      const concurrent = await post(fixture, '/v1/payment_intents', body, 'key-hang');
      expect(concurrent.status).toBe(409);
      expect(concurrent.body.error.type).toBe('idempotency_error');

      fixture.clearFaults(paymentMethod);
      const finished = await hanging;
      expect(finished.status).toBe(200);
      expect(finished.body.status).toBe('succeeded');
      const replayed = await post(fixture, '/v1/payment_intents', body, 'key-hang');
      expect(replayed.body.id).toBe(finished.body.id);
    });

    it('fails only the first request of each key for the built-in pm_fault_500_once', async () => {
      const body = createIntentBody({
        payment_method: 'pm_fault_500_once',
        'metadata[reservationId]': 'res-once',
      });
      expect((await post(fixture, '/v1/payment_intents', body, 'key-once')).status).toBe(500);
      expect((await post(fixture, '/v1/payment_intents', body, 'key-once')).status).toBe(200);
      expect((await post(fixture, '/v1/payment_intents', body, 'key-once-2')).status).toBe(500);
    });
  });

  describe('declines and validation', () => {
    it.each([
      ['pm_card_chargeDeclined', 'card_declined', 'generic_decline'],
      ['pm_card_chargeDeclinedInsufficientFunds', 'card_declined', 'insufficient_funds'],
    ])(
      'answers %s with a 402 card_error %s/%s and keeps the PaymentIntent',
      async (paymentMethod, code, declineCode) => {
        const reservationId = `res-decline-${declineCode}`;
        const declined = await post(
          fixture,
          '/v1/payment_intents',
          createIntentBody({ payment_method: paymentMethod, 'metadata[reservationId]': reservationId }),
        );

        expect(declined.status).toBe(402);
        expect(declined.body.error).toMatchObject({
          type: 'card_error',
          code,
          decline_code: declineCode,
          message: expect.any(String),
          payment_intent: { object: 'payment_intent', status: 'requires_payment_method' },
        });
        const [stored] = intentsOf(fixture, reservationId);
        expect(stored).toMatchObject({
          id: declined.body.error.payment_intent.id,
          status: 'requires_payment_method',
        });
        expect(stored?.last_payment_error).toMatchObject({ code, decline_code: declineCode });
      },
    );

    it("passes stripe-mock's parameter and key validation through and stores nothing", async () => {
      const before = fixture.paymentIntents().length;
      const invalid = await post(
        fixture,
        '/v1/payment_intents',
        createIntentBody({ amount: 'lots' }),
        'key-invalid',
      );
      expect(invalid.status).toBe(400);
      expect(invalid.body.error.type).toBe('invalid_request_error');
      const unauthenticated = await fetch(`${fixture.url}/v1/payment_intents`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: createIntentBody(),
      });
      expect(unauthenticated.status).toBe(401);
      expect(fixture.paymentIntents()).toHaveLength(before);

      const valid = await post(fixture, '/v1/payment_intents', createIntentBody(), 'key-invalid');
      expect(valid.status).toBe(200);
    });
  });

  describe('state', () => {
    it('keeps PaymentIntents: retrieve, list newest first by time with paging, cancel only while cancelable', async () => {
      const open = await stripe.paymentIntents.create({
        amount: 700,
        currency: 'eur',
        payment_method: 'pm_card_visa',
        metadata: { reservationId: 'res-state' },
      });
      const paid = await stripe.paymentIntents.create({
        amount: 800,
        currency: 'eur',
        payment_method: 'pm_card_visa',
        confirm: true,
        automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
        metadata: { reservationId: 'res-state' },
      });
      expect(open.status).toBe('requires_confirmation');
      expect(open.id).not.toBe(paid.id);
      expect(paid).toMatchObject({
        status: 'succeeded',
        amount_received: 800,
        latest_charge: expect.stringMatching(/^ch_/),
      });
      expect(await stripe.paymentIntents.retrieve(paid.id)).toMatchObject({ id: paid.id, amount: 800 });
      await expect(stripe.paymentIntents.retrieve('pi_unknown')).rejects.toMatchObject({ statusCode: 404 });

      const listed: string[] = [];
      for await (const intent of stripe.paymentIntents.list({ created: { gte: open.created }, limit: 1 })) {
        if (intent.metadata.reservationId === 'res-state') listed.push(intent.id);
      }
      expect(listed).toEqual([paid.id, open.id]);

      expect(await stripe.paymentIntents.cancel(open.id)).toMatchObject({ status: 'canceled' });
      await expect(stripe.paymentIntents.cancel(paid.id)).rejects.toMatchObject({
        code: 'payment_intent_unexpected_state',
      });
    });

    it('searches PaymentIntents by metadata and status', async () => {
      const paid = await stripe.paymentIntents.create({
        amount: 900,
        currency: 'eur',
        payment_method: 'pm_card_visa',
        confirm: true,
        metadata: { reservationId: 'res-search', attempt: '2' },
      });
      const found = await stripe.paymentIntents.search({
        query: "metadata['reservationId']:'res-search' AND metadata['attempt']:'2' AND status:'succeeded'",
      });
      expect(found.data.map((intent) => intent.id)).toEqual([paid.id]);
    });

    it('pages a search through next_page, as stripe-node auto-pagination follows it', async () => {
      const created = [];
      for (let n = 0; n < 5; n++) {
        created.push(
          await stripe.paymentIntents.create({
            amount: 700 + n,
            currency: 'eur',
            payment_method: 'pm_card_visa',
            confirm: true,
            metadata: { reservationId: 'res-search-pages' },
          }),
        );
      }
      const found: string[] = [];
      const search = stripe.paymentIntents.search({
        query: "metadata['reservationId']:'res-search-pages'",
        limit: 2,
      });
      for await (const intent of search) found.push(intent.id);
      expect(found).toEqual(created.map((intent) => intent.id).reverse());
    });

    it('validates refunds against what was captured and lists them by PaymentIntent', async () => {
      const paid = await stripe.paymentIntents.create({
        amount: 1000,
        currency: 'eur',
        payment_method: 'pm_card_visa',
        confirm: true,
      });
      const partial = await stripe.refunds.create({ payment_intent: paid.id, amount: 400 });
      expect(partial).toMatchObject({
        object: 'refund',
        amount: 400,
        status: 'succeeded',
        payment_intent: paid.id,
      });

      const tooLarge = await post(fixture, '/v1/refunds', `payment_intent=${paid.id}&amount=601`);
      expect(tooLarge.status).toBe(400);
      expect(tooLarge.body.error).toMatchObject({ type: 'invalid_request_error', code: 'amount_too_large' });

      const rest = await stripe.refunds.create({ payment_intent: paid.id });
      expect(rest.amount).toBe(600);
      const again = await post(fixture, '/v1/refunds', `payment_intent=${paid.id}&amount=1`);
      expect(again.body.error).toMatchObject({
        type: 'invalid_request_error',
        code: 'charge_already_refunded',
      });

      const listed = await stripe.refunds.list({ payment_intent: paid.id });
      expect(listed.data.map((refund) => refund.id)).toEqual([rest.id, partial.id]);
    });
  });

  describe('control', () => {
    it('sets and clears faults over HTTP for other processes', async () => {
      const paymentMethod = ownPaymentMethod();
      const set = await fetch(`${fixture.url}/__fixture/faults`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ paymentMethodId: paymentMethod, failWith5xx: 1 }),
      });
      expect(set.status).toBe(200);
      const body = createIntentBody({ payment_method: paymentMethod });
      expect((await post(fixture, '/v1/payment_intents', body)).status).toBe(500);
      expect((await post(fixture, '/v1/payment_intents', body)).status).toBe(200);

      await fetch(`${fixture.url}/__fixture/faults`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ paymentMethodId: paymentMethod, rateLimited: 1 }),
      });
      const cleared = await fetch(`${fixture.url}/__fixture/faults/${paymentMethod}`, { method: 'DELETE' });
      expect(cleared.status).toBe(204);
      expect((await post(fixture, '/v1/payment_intents', body)).status).toBe(200);

      const invalid = await fetch(`${fixture.url}/__fixture/faults`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ paymentMethodId: paymentMethod, failWith5xx: 'many' }),
      });
      expect(invalid.status).toBe(400);
    });
  });

  describe('webhooks', () => {
    let receiver: Server;
    let received: { payload: string; signature: string }[];
    let rejectNext: boolean;
    let webhookFixture: StripeFixture;
    const secret = 'whsec_fixture_suite';

    beforeAll(async () => {
      received = [];
      rejectNext = true;
      receiver = createServer((req, res) => {
        let payload = '';
        req.on('data', (chunk: Buffer) => {
          payload += chunk.toString();
        });
        req.on('end', () => {
          // The first delivery fails, as a receiver restarting would; the fixture retries it.
          if (rejectNext) {
            rejectNext = false;
            res.writeHead(503).end();
            return;
          }
          received.push({ payload, signature: String(req.headers['stripe-signature']) });
          res.writeHead(200).end();
        });
      });
      await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
      const port = (receiver.address() as AddressInfo).port;
      webhookFixture = await startFixture({ webhook: { url: `http://127.0.0.1:${port}/hook`, secret } });
    });
    afterAll(async () => {
      await webhookFixture.stop();
      await new Promise<void>((resolve) => receiver.close(() => resolve()));
    });

    it('delivers signed payment_intent events that constructEvent accepts, retrying a failed delivery', async () => {
      const client = createStripe({ secretKey, apiUrl: webhookFixture.url });
      const paid = await client.paymentIntents.create({
        amount: 1200,
        currency: 'eur',
        payment_method: 'pm_card_visa',
        confirm: true,
      });
      const declined = await client.paymentIntents
        .create({ amount: 1200, currency: 'eur', payment_method: 'pm_card_chargeDeclined', confirm: true })
        .catch((error: Stripe.errors.StripeCardError) => error.payment_intent);

      await vi.waitFor(() => expect(received).toHaveLength(2));
      const events = received.map(({ payload, signature }) =>
        client.webhooks.constructEvent(payload, signature, secret),
      );
      const byType = Object.fromEntries(
        events.map((event) => [event.type, event.data.object as Stripe.PaymentIntent]),
      );
      expect(byType['payment_intent.succeeded']).toMatchObject({ id: paid.id, status: 'succeeded' });
      expect(byType['payment_intent.payment_failed']).toMatchObject({ id: declined?.id });
      expect(() =>
        client.webhooks.constructEvent(
          received[0]?.payload ?? '',
          received[0]?.signature ?? '',
          'whsec_other',
        ),
      ).toThrow();
    });
  });
});
