// Fuzzes every operation of /openapi.json with malformed requests (test/api/fuzz/generator.ts) against
// the real stack: no answer is a 5xx, every refusal is problem+json with a code of src/errors.ts and a
// detail naming what is wrong, nothing internal leaks, and nothing changes (Postgres and Temporal).
// FUZZ_PER_OP sets the requests per operation (`npm run fuzz -- --per-op 5000`); FUZZ_SEED replays a run.
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCodes } from '../../src/errors';
import { limitClasses } from '../../src/platform/config';
import { bearer, connectTestStores, createTestApp, testJwtSecret } from '../helpers/app';
import { startTestStack, type TestStack } from '../helpers/stack';
import { type OpenApiDocument, type Operation, operationsOf } from './fuzz/document';
import { type Baseline, type FuzzRequest, malformedRequests } from './fuzz/generator';

const perOperation = Number(process.env.FUZZ_PER_OP ?? 200);
const seed = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);

// The document is read at collection time so that every operation is a test of its own.
const document = await (async () => {
  const stores = connectTestStores(1);
  try {
    return (await (await createTestApp(stores).request('/openapi.json')).json()) as OpenApiDocument;
  } finally {
    await stores.close();
  }
})();
const operations = operationsOf(document);

/** Signs claims with `secret` (HS256), for tokens the API must refuse. */
function signed(claims: Record<string, unknown>, secret = testJwtSecret, expiresAt = '1h'): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt()
    .setExpirationTime(expiresAt)
    .sign(new TextEncoder().encode(secret));
}

const unsigned = (claims: object) =>
  `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.`;

/** What may never appear in an answer: stack traces, driver errors, support's and internal fields. */
const leaks =
  /node_modules|\n\s+at |\bat async\b|SQLSTATE|invalid byte sequence|syntax error at|ECONNREFUSED|TypeError|RangeError|requestFingerprint|supportActions/;

async function send(stack: TestStack, request: FuzzRequest) {
  const headers = new Headers();
  for (const [name, value] of request.headers) headers.append(name, value);
  const response = await stack.app.request(request.url, {
    method: request.method,
    headers,
    body: request.body,
  });
  const contentType = response.headers.get('content-type') ?? '';
  // A live stream that was accepted never ends by itself: its status says it all, and the client leaves.
  if (contentType.startsWith('text/event-stream')) {
    await response.body?.cancel();
    return { status: response.status, contentType, text: '' };
  }
  return { status: response.status, contentType, text: await response.text() };
}

function describeRequest(request: FuzzRequest): string {
  return `${request.method} ${request.url.slice(0, 200)} (${request.mutations.join('; ')})`;
}

/** The oracle for one answer. */
function expectRefusal(request: FuzzRequest, answer: Awaited<ReturnType<typeof send>>): void {
  const what = `${describeRequest(request)} answered ${answer.status} ${answer.text.slice(0, 300)}`;
  expect(answer.status, what).toBeLessThan(500);
  expect(answer.text, `leak: ${what}`).not.toMatch(leaks);
  // A malformed request must be refused (a GET may be valid, and answered).
  if (request.malformed) expect(answer.status, what).toBeGreaterThanOrEqual(400);
  if (answer.status < 400) return;
  expect(answer.contentType, what).toMatch(/^application\/problem\+json/);
  const problem = JSON.parse(answer.text) as { code: string; status: number; detail: string; title: string };
  expect(errorCodes, what).toContain(problem.code);
  expect(problem.status, what).toBe(answer.status);
  expect(problem.title, what).toEqual(expect.any(String));
  expect(problem.detail, what).toMatch(/\S/);
  if (problem.code === 'VALIDATION_FAILED' || problem.code === 'UNSUPPORTED_MEDIA_TYPE') {
    const detail = problem.detail.toLowerCase();
    const named = request.touched.some((part) => detail.includes(part.toLowerCase()));
    expect(
      named || request.touched.length === 0,
      `the detail names none of ${request.touched}: ${what}`,
    ).toBe(true);
  }
}

describe('the API under malformed requests', () => {
  let stack: TestStack;
  let baseline: Baseline;

  /** Everything a request could change: rows in Postgres and workflows in Temporal. */
  async function snapshot() {
    const { rows } = await stack.stores.pool.query(`
      select (select count(*) from events) as events,
             (select count(*) from seats where status = 'held') as held,
             (select count(*) from seats where status = 'sold') as sold,
             (select count(*) from seat_events) as seat_events,
             (select count(*) from reservations) as reservations,
             (select count(*) from orders) as orders,
             (select count(*) from tickets) as tickets,
             (select count(*) from payments) as payments,
             (select count(*) from refunds) as refunds,
             (select count(*) from webhook_events) as webhook_events`);
    const { count } = await stack.temporal.client.workflow.count();
    return { ...rows[0], workflows: count };
  }

  beforeAll(async () => {
    stack = await startTestStack('fuzz', {
      STRIPE_WEBHOOK_SECRET: 'whsec_fuzz_secret',
      // A few thousand requests a minute from three tokens: quotas that let every one of them reach the
      // validation under test (the limiter still counts each; test/api/rate-limit.test.ts tests refusals).
      ...Object.fromEntries(
        limitClasses.map((name) => [`RATE_LIMIT_${name.toUpperCase()}_PER_BUYER`, '100000/1m']),
      ),
    });
    // Real resources for the requests to aim at: a held reservation and a paid, partly refunded order.
    const eventId = await stack.createEvent({ seats: 10 });
    const buyerId = 'fuzz-buyer';
    const order = await stack.buy(eventId, ['A-1-1'], buyerId);
    const buyerToken = await bearer(buyerId, 'buyer');
    const held = await stack.call(
      'POST',
      `/v1/events/${eventId}/reservations`,
      buyerToken,
      { seatIds: ['A-1-2'] },
      { 'idempotency-key': randomUUID() },
    );
    expect(held.status).toBe(201);
    const supportToken = await bearer('fuzz-support', 'support');
    const refund = await stack.call(
      'POST',
      `/v1/orders/${order.orderId}/refunds`,
      supportToken,
      { amount: 100, reason: 'fuzz baseline' },
      { 'idempotency-key': randomUUID() },
    );
    expect(refund.status).toBe(200);
    const strip = (token: string) => token.replace(/^Bearer /, '');
    baseline = {
      value(operation: Operation, parameter: string) {
        if (parameter === 'eventId') return eventId;
        if (parameter === 'refundId') return refund.body.id;
        if (parameter === 'id')
          return operation.path.startsWith('/v1/reservations') ? held.body.id : order.orderId;
        return undefined;
      },
      tokens: [strip(buyerToken), strip(await bearer('org-fuzz', 'organizer')), strip(supportToken)],
      badTokens: [
        await signed({ sub: buyerId, role: 'buyer' }, 'another-secret-of-16-chars'),
        await signed({ sub: buyerId, role: 'buyer' }, testJwtSecret, '-1m'),
        await signed({ sub: buyerId, role: 'admin' }),
        await signed({ role: 'support' }),
        await signed({ sub: 'x'.repeat(201), role: 'buyer' }),
        unsigned({ sub: 'fuzz-support', role: 'support' }),
        `${strip(buyerToken)}x`,
      ],
    };
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('finds every operation of the document', () => {
    expect(operations.length).toBeGreaterThanOrEqual(16);
  });

  it.each(operations.map((operation) => [operation.id, operation] as const))(
    'refuses malformed %s requests cleanly and changes nothing',
    async (_id, operation) => {
      const before = await snapshot();
      await fc.assert(
        fc.asyncProperty(malformedRequests(operation, baseline), async (request) => {
          fc.pre(request.malformed || operation.method === 'GET');
          expectRefusal(request, await send(stack, request));
        }),
        { numRuns: perOperation, seed },
      );
      expect(await snapshot()).toEqual(before);
    },
    // About 10 ms a request here; a larger run (npm run fuzz) gets the time it needs.
    Math.max(60_000, perOperation * 50),
  );
});
