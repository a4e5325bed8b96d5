// Every endpoint is rate limited per client IP and per buyer (api/rate-limit.ts) on the real Redis: the
// RateLimit fields count down on every answer, a refusal is 429 RATE_LIMITED with Retry-After and is
// counted, the allowlist exempts an address from the per-IP limit but never a buyer from theirs,
// X-Forwarded-For is believed only from a trusted proxy, and with Redis down the API fails open.
import { randomInt, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { limitKeyOf, normalizedAddress } from '../../api/client-address';
import { limitClassOf } from '../../api/rate-limit';
import { freePort } from '../../src/platform/ports';
import { createRedis } from '../../src/platform/redis';
import { bearer, connectedFrom, connectTestStores, createTestApp, testConfig } from '../helpers/app';
import { scrape } from '../helpers/metrics';

/** A fresh address in 100.64.0.0/10 (shared address space): no counter of an earlier run applies to it. */
const someAddress = () => `100.${64 + randomInt(64)}.${randomInt(256)}.${randomInt(256)}`;
const someBuyer = () => `buyer-rl-${randomUUID().slice(0, 8)}`;

/** The parameters of a structured-field list member `"name";a=1;b=2`, by member name. */
function members(field: string | null): Record<string, Record<string, number>> {
  return Object.fromEntries(
    (field ?? '')
      .split(',')
      .filter((member) => member.trim() !== '')
      .map((member) => {
        const [name = '', ...parameters] = member.trim().split(';');
        return [
          JSON.parse(name) as string,
          Object.fromEntries(parameters.map((p) => [p.split('=')[0], Number(p.split('=')[1])])),
        ];
      }),
  );
}

describe('rate limits', () => {
  const stores = connectTestStores(4);
  const config = testConfig({
    RATE_LIMIT_READS_PER_IP: '5/10s',
    RATE_LIMIT_READS_PER_BUYER: '3/10s',
    RATE_LIMIT_HOLDS_PER_BUYER: '2/10s',
    RATE_LIMIT_CONFIRMS_PER_BUYER: '2/1m',
    RATE_LIMIT_WRITES_PER_IP: '1/10s',
    RATE_LIMIT_IP_ALLOWLIST: '192.0.2.0/24',
    TRUSTED_PROXIES: '10.0.0.0/8',
  });
  const app = createTestApp({ ...stores, config });

  beforeAll(() => stores.ready);
  afterAll(() => stores.close());

  const get = (path: string, from: string, headers: Record<string, string> = {}) =>
    app.request(path, { headers }, connectedFrom(from));

  it('counts an address down through RateLimit, then refuses with 429, Retry-After and the policy', async () => {
    const address = someAddress();
    const before = await scrape(app);
    for (let remaining = 4; remaining >= 0; remaining--) {
      const response = await get('/v1/events', address);
      expect(response.status).toBe(200);
      expect(members(response.headers.get('ratelimit-policy'))).toEqual({ ip_reads: { q: 5, w: 10 } });
      const state = members(response.headers.get('ratelimit')).ip_reads;
      expect(state?.r).toBe(remaining);
      expect(state?.t).toBeGreaterThanOrEqual(1);
      expect(state?.t).toBeLessThanOrEqual(10);
    }
    const refused = await get('/v1/events', address);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(10);
    expect(members(refused.headers.get('ratelimit')).ip_reads).toEqual({ r: 0, t: retryAfter });
    expect(await refused.json()).toMatchObject({
      status: 429,
      code: 'RATE_LIMITED',
      limit: 'ip_reads',
      retryAfterSeconds: retryAfter,
      detail: expect.stringContaining('at most 5 per 10 s per client IP'),
    });
    // Another address is a count of its own.
    expect((await get('/v1/events', someAddress())).status).toBe(200);
    const after = await scrape(app);
    const moved = (labels: Record<string, string>) =>
      after.value('boxoffice_rate_limited_total', labels) -
      before.value('boxoffice_rate_limited_total', labels);
    expect(moved({ limit: 'ip_reads' })).toBe(1);
    expect(after.value('boxoffice_redis_fail_open_total')).toBe(0);
  });

  it('limits an authenticated caller per buyer too, and lists both policies', async () => {
    const address = someAddress();
    const token = await bearer(someBuyer(), 'buyer');
    const read = () => get('/v1/orders/ord_missing', address, { authorization: token });
    const first = await read();
    expect(first.status).toBe(404);
    expect(first.headers.get('ratelimit-policy')).toBe('"ip_reads";q=5;w=10, "buyer_reads";q=3;w=10');
    expect(members(first.headers.get('ratelimit'))).toMatchObject({
      ip_reads: { r: 4 },
      buyer_reads: { r: 2 },
    });
    await read();
    await read();
    const refused = await read();
    expect(refused.status).toBe(429);
    expect(await refused.json()).toMatchObject({ code: 'RATE_LIMITED', limit: 'buyer_reads' });
    // Its address still has quota left: only the buyer is over.
    expect((await get('/v1/events', address)).status).toBe(200);
  });

  it('exempts an allowlisted address from the per-IP limit, never a buyer from theirs', async () => {
    const address = `192.0.2.${randomInt(256)}`;
    for (let request = 0; request < 8; request++) {
      const response = await get('/v1/events', address);
      expect(response.status).toBe(200);
      expect(response.headers.get('ratelimit')).toBeNull();
    }
    const token = await bearer(someBuyer(), 'buyer');
    const answers = [];
    for (let request = 0; request < 4; request++) {
      answers.push(await get('/v1/orders/ord_missing', address, { authorization: token }));
    }
    expect(answers.map((answer) => answer.status)).toEqual([404, 404, 404, 429]);
    expect(answers[0]?.headers.get('ratelimit-policy')).toBe('"buyer_reads";q=3;w=10');
  });

  it('keeps each class of endpoint apart: holds and confirms have quotas of their own', async () => {
    const address = `192.0.2.${randomInt(256)}`;
    const token = await bearer(someBuyer(), 'buyer');
    const post = (path: string) =>
      app.request(
        path,
        {
          method: 'POST',
          headers: {
            authorization: token,
            'content-type': 'application/json',
            'idempotency-key': randomUUID(),
          },
          body: JSON.stringify({ paymentMethodId: 42 }),
        },
        connectedFrom(address),
      );
    // Counted before the body is read: a refused body costs its quota like any other request.
    const holds = [];
    for (let request = 0; request < 3; request++)
      holds.push((await post('/v1/events/evt_missing/reservations')).status);
    expect(holds).toEqual([422, 422, 429]);
    const confirms = [];
    for (let request = 0; request < 3; request++)
      confirms.push(await post('/v1/reservations/rsv_missing/confirm'));
    expect(confirms.map((answer) => answer.status)).toEqual([422, 422, 429]);
    expect(await confirms[2]?.json()).toMatchObject({ limit: 'buyer_confirms' });
    expect(members(confirms[0]?.headers.get('ratelimit-policy') ?? null)).toEqual({
      buyer_confirms: { q: 2, w: 60 },
    });
    expect((await get('/v1/orders/ord_missing', address, { authorization: token })).status).toBe(404);
  });

  it('never limits Stripe webhooks or the liveness probe', async () => {
    const address = someAddress();
    for (let request = 0; request < 3; request++) {
      const webhook = await app.request(
        '/v1/webhooks/stripe',
        { method: 'POST', headers: { 'stripe-signature': 't=1,v1=x' }, body: '{}' },
        connectedFrom(address),
      );
      // No STRIPE_WEBHOOK_SECRET in this app: refused by the route, never by the limiter.
      expect(webhook.status).toBe(503);
      expect(webhook.headers.get('ratelimit')).toBeNull();
      expect((await get('/healthz', address)).status).toBe(200);
    }
  });

  describe('behind a proxy', () => {
    it('reads X-Forwarded-For from a trusted proxy, right to left, so a spoofed entry changes nothing', async () => {
      const client = someAddress();
      const statuses = [];
      for (let request = 0; request < 6; request++) {
        // The client wrote a different "address" each time; the proxies appended what they saw.
        const forwarded = `${someAddress()}, ${client}, 10.0.0.5`;
        const response = await get('/v1/events', '10.1.2.3', { 'x-forwarded-for': forwarded });
        statuses.push(response.status);
      }
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
      // The same client straight, not through the proxy: one count.
      expect((await get('/v1/events', client)).status).toBe(429);
    });

    it('ignores X-Forwarded-For from anyone else, even when it names an allowlisted address', async () => {
      const peer = someAddress();
      const statuses = [];
      for (let request = 0; request < 6; request++) {
        const response = await get('/v1/events', peer, { 'x-forwarded-for': `192.0.2.1, ${someAddress()}` });
        statuses.push(response.status);
      }
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    });

    it('stops at the last trusted hop when a proxy forwards something that is not an address', async () => {
      const proxy = `10.${randomInt(256)}.${randomInt(256)}.${randomInt(256)}`;
      const statuses = [];
      for (let request = 0; request < 6; request++) {
        const response = await get('/v1/events', '10.9.9.9', { 'x-forwarded-for': `not-an-ip, ${proxy}` });
        statuses.push(response.status);
      }
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    });
  });

  it('counts an IPv6 client by its /64, so rotating addresses within it does not evade the limit', async () => {
    const network = `2001:db8:${randomInt(65536).toString(16)}:${randomInt(65536).toString(16)}`;
    const statuses = [];
    for (let request = 0; request < 6; request++) {
      statuses.push((await get('/v1/events', `${network}::${(request + 1).toString(16)}`)).status);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    // A dual-stack socket's IPv4-mapped form is the IPv4 address.
    const address = someAddress();
    for (let request = 0; request < 5; request++) await get('/v1/events', address);
    expect((await get('/v1/events', `::ffff:${address}`)).status).toBe(429);
  });
});

describe('rate limits with Redis down', () => {
  const stores = connectTestStores(2);
  let redisPort: number;
  let app: ReturnType<typeof createTestApp>;
  let redis: ReturnType<typeof createRedis>;

  beforeAll(async () => {
    redisPort = await freePort();
    redis = createRedis(`redis://127.0.0.1:${redisPort}`);
    app = createTestApp({
      pool: stores.pool,
      redis,
      config: testConfig({ RATE_LIMIT_READS_PER_IP: '2/10s', RATE_LIMIT_IP_ALLOWLIST: 'none' }),
    });
  });
  afterAll(async () => {
    redis.disconnect();
    await stores.close();
  });

  it('fails open: answers without the RateLimit fields and counts each request it could not limit', async () => {
    for (let request = 0; request < 4; request++) {
      const response = await app.request('/v1/events', {}, connectedFrom(someAddress()));
      expect(response.status).toBe(200);
      expect(response.headers.get('ratelimit')).toBeNull();
    }
    const address = someAddress();
    for (let request = 0; request < 3; request++) {
      expect((await app.request('/v1/events', {}, connectedFrom(address))).status).toBe(200);
    }
    const scraped = await scrape(app);
    expect(scraped.value('boxoffice_redis_fail_open_total', { component: 'rate_limit' })).toBe(7);
    expect(scraped.value('boxoffice_rate_limited_total')).toBe(0);
  });
});

describe('the class of an endpoint', () => {
  it.each([
    ['POST', '/v1/events/evt_1/reservations', 'holds'],
    ['POST', '/v1/reservations/rsv_1/confirm', 'confirms'],
    ['POST', '/v1/events/evt_1/queue', 'queue'],
    ['POST', '/v1/events/evt_1/queue/admission', 'queue'],
    ['GET', '/v1/events/evt_1/queue/status', 'queue'],
    ['GET', '/v1/events/{eventId}/queue/status', 'queue'],
    ['GET', '/v1/events/evt_1/queued', 'reads'],
    ['GET', '/v1/events/evt_1/reservations', 'reads'],
    ['POST', '/v1/events/evt_1/reservations/x', 'writes'],
    ['POST', '/v1/reservations/rsv_1/x/confirm', 'writes'],
    ['DELETE', '/v1/reservations/rsv_1', 'writes'],
    ['PATCH', '/v1/events/evt_1', 'writes'],
    ['POST', '/v1/events', 'writes'],
    ['GET', '/v1/events/evt_1/seats', 'reads'],
    ['GET', '/readyz', 'reads'],
    ['GET', '/openapi.json', 'reads'],
    ['POST', '/v1/webhooks/stripe', undefined],
    ['GET', '/healthz', undefined],
    ['GET', '/metrics', undefined],
  ])('%s %s is %s', (method, path, limitClass) => {
    expect(limitClassOf(method, path)).toBe(limitClass);
  });
});

describe('the key a client address counts under', () => {
  it.each([
    ['203.0.113.7', '203.0.113.7'],
    ['203.0.113.7:4711', '203.0.113.7'],
    ['::ffff:203.0.113.7', '203.0.113.7'],
    ['::FFFF:cb00:7107', '203.0.113.7'],
    ['[2001:db8::1]:443', '2001:db8:0:0::/64'],
    ['2001:DB8:0:1:aaaa:bbbb:cccc:dddd', '2001:db8:0:1::/64'],
    ['2001:db8:0:1::', '2001:db8:0:1::/64'],
    ['1::2:3:4:5:6:7', '1:0:2:3::/64'],
    ['64:ff9b::192.0.2.1', '64:ff9b:0:0::/64'],
  ])('%s counts as %s', (address, key) => {
    expect(limitKeyOf(normalizedAddress(address))).toBe(key);
  });

  it.each(['', 'localhost', '1.2.3', '[::1', '300.1.1.1', 'x, y'])('%j is not an address', (text) => {
    expect(normalizedAddress(text)).toBeUndefined();
  });
});
