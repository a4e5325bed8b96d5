// One byte must not reach Postgres or Temporal (invariant 7): every id, key and text the API takes is
// checked at the edge against its kind's charset and length (api/schemas/ids.ts) and refused with a
// problem+json 4xx naming the parameter. Temporal is not wired here: a request that got past the edge
// to a workflow would answer 500.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, connectTestStores, createTestApp } from '../helpers/app';

describe('ids, keys and text at the edge', () => {
  const stores = connectTestStores(2);
  const app = createTestApp(stores);
  let buyer: string;
  let support: string;
  beforeAll(async () => {
    await stores.ready;
    buyer = await bearer('ida-ids', 'buyer');
    support = await bearer('sue-ids', 'support');
  });
  afterAll(async () => {
    await stores.close();
  });

  async function send(
    path: string,
    init: { method?: string; headers?: Record<string, string>; body?: unknown } = {},
  ) {
    const response = await app.request(path, {
      method: init.method ?? 'GET',
      headers: { 'content-type': 'application/json', ...init.headers },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    return {
      status: response.status,
      contentType: response.headers.get('content-type'),
      body: (await response.json()) as { code: string; detail: string },
    };
  }

  function expectRefused(
    answer: Awaited<ReturnType<typeof send>>,
    status: number,
    code: string,
    names: string,
  ) {
    expect(answer.status, answer.body.detail).toBe(status);
    expect(answer.contentType).toMatch(/^application\/problem\+json/);
    expect(answer.body.code).toBe(code);
    expect(answer.body.detail).toContain(names);
  }

  it('refuses a NUL event id and a NUL cursor with 422 naming them', async () => {
    expectRefused(await send('/v1/events/%00'), 422, 'VALIDATION_FAILED', 'eventId');
    expectRefused(await send('/v1/events/evt_%00/seats'), 422, 'VALIDATION_FAILED', 'eventId');
    expectRefused(await send('/v1/events?cursor=%00'), 422, 'VALIDATION_FAILED', 'cursor');
    expectRefused(
      await send('/v1/admin/orders?buyerId=%00', { headers: { authorization: support } }),
      422,
      'VALIDATION_FAILED',
      'buyerId',
    );
  });

  it('refuses a hold with a NUL in a seat id before any workflow starts', async () => {
    const hold = (seatIds: string[], key = 'ids-hold-1') =>
      send('/v1/events/evt_demo/reservations', {
        method: 'POST',
        headers: { authorization: buyer, 'idempotency-key': key },
        body: { seatIds },
      });
    expectRefused(await hold(['A-1-\u0000']), 422, 'VALIDATION_FAILED', 'seatIds.0');
    expectRefused(await hold(['A-1-1', 'A-1-é']), 422, 'VALIDATION_FAILED', 'seatIds.1');
    expectRefused(await hold(['A-1-1'], 'two words'), 422, 'VALIDATION_FAILED', 'idempotency-key');
    expectRefused(await hold(['A-1-1'], 'key\u0085'), 422, 'VALIDATION_FAILED', 'idempotency-key');
  });

  it('refuses a confirm whose payment method is no Stripe id', async () => {
    const confirm = await send('/v1/reservations/rsv_abc/confirm', {
      method: 'POST',
      headers: { authorization: buyer, 'idempotency-key': 'ids-pay-1' },
      body: { paymentMethodId: 'pm_\u0000' },
    });
    expectRefused(confirm, 422, 'VALIDATION_FAILED', 'paymentMethodId');
  });

  it('refuses text with control characters, and a body not sent as JSON with 415', async () => {
    const refund = await send('/v1/orders/ord_abc/refunds', {
      method: 'POST',
      headers: { authorization: support, 'idempotency-key': 'ids-refund-1' },
      body: { reason: 'postponed\u0000' },
    });
    expectRefused(refund, 422, 'VALIDATION_FAILED', 'reason');
    const asText = await send('/v1/orders/ord_abc/refunds', {
      method: 'POST',
      headers: { authorization: support, 'idempotency-key': 'ids-refund-1', 'content-type': 'text/plain' },
      body: { reason: 'postponed' },
    });
    expectRefused(asText, 415, 'UNSUPPORTED_MEDIA_TYPE', 'content-type');
  });
});
