// The event, its seat map and its availability are cacheable (api/cache.ts): Cache-Control a CDN can use,
// an ETag that is the seat map's version (the event's: a digest of what it says), and 304 with no body
// for an If-None-Match that names it. The ETag moves when a hold (the API's write) or a release (the
// worker's activity) changes a seat, and when an organizer's edit (PATCH) changes the event, never otherwise.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInventoryActivities } from '../../activities/inventory';
import { createCheckoutHolds } from '../../src/checkout/hold';
import { createSeatMap } from '../../src/inventory/seat-map';
import { createLogger } from '../../src/platform/logger';
import { freePort } from '../../src/platform/ports';
import { createRedis } from '../../src/platform/redis';
import { bearer, connectTestStores, createTestApp } from '../helpers/app';

describe('cacheable reads', () => {
  const stores = connectTestStores(4);
  const app = createTestApp(stores);
  const log = createLogger('silent', 'cacheable-reads');
  // Other processes' seat maps on the same stores: the API's hold path, and the worker's activities.
  const holds = createCheckoutHolds({ pool: stores.pool, seatMap: createSeatMap({ ...stores, log }) });
  const worker = createInventoryActivities({ ...stores, log });
  let eventId: string;

  beforeAll(async () => {
    await stores.ready;
    const created = await app.request('/v1/events', {
      method: 'POST',
      headers: { authorization: await bearer('org-cache', 'organizer'), 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'Cacheable',
        venue: 'Hall',
        startsAt: new Date(Date.now() + 86_400_000).toISOString(),
        currency: 'EUR',
        sections: [
          { id: 'A', name: 'Floor', price: 4200, rows: [{ id: '1', seats: 4 }] },
          { id: 'B', name: 'Balcony', price: 2100, rows: [{ id: '1', seats: 2 }] },
        ],
      }),
    });
    expect(created.status).toBe(201);
    eventId = ((await created.json()) as { id: string }).id;
  });
  afterAll(() => stores.close());

  const get = (path: string, ifNoneMatch?: string) =>
    app.request(path, { headers: ifNoneMatch === undefined ? {} : { 'if-none-match': ifNoneMatch } });
  const paths = () => ({
    event: `/v1/events/${eventId}`,
    seats: `/v1/events/${eventId}/seats`,
    section: `/v1/events/${eventId}/seats?section=A`,
    availability: `/v1/events/${eventId}/availability`,
  });
  const etagOf = async (path: string) => {
    const response = await get(path);
    expect(response.status).toBe(200);
    return response.headers.get('etag') ?? '';
  };

  async function expectNotModified(path: string, ifNoneMatch: string, etag: string) {
    const response = await get(path, ifNoneMatch);
    expect(response.status, `${path} If-None-Match: ${ifNoneMatch}`).toBe(304);
    expect(await response.text()).toBe('');
    expect(response.headers.get('etag')).toBe(etag);
    expect(response.headers.get('cache-control')).toMatch(
      /^public, max-age=\d+, stale-while-revalidate=\d+$/,
    );
  }

  it('answers with Cache-Control and an ETag, and 304 with no body when If-None-Match names it', async () => {
    for (const path of Object.values(paths())) {
      const response = await get(path);
      expect(response.status).toBe(200);
      const etag = response.headers.get('etag') ?? '';
      expect(etag, path).toMatch(/^W\/"[^"]+"$/);
      expect(response.headers.get('cache-control')).toMatch(
        /^public, max-age=\d+, stale-while-revalidate=\d+$/,
      );
      const opaque = etag.slice(2);
      await expectNotModified(path, etag, etag);
      // Weak comparison: the tag with or without W/, anywhere in a list, or *.
      await expectNotModified(path, opaque, etag);
      await expectNotModified(path, `"elsewhere", W/"also,elsewhere" ,${etag}`, etag);
      await expectNotModified(path, '*', etag);
      for (const other of ['W/"0.0-no"', '"nope"', '', etag.replace('"', '"x')]) {
        const fresh = await get(path, other);
        expect(fresh.status, `${path} If-None-Match: ${other}`).toBe(200);
        expect(await fresh.json()).toMatchObject({});
      }
      // Not an entity-tag list: refused naming the header, rather than read as "no match".
      const refused = await get(path, 'garbage');
      expect(refused.status).toBe(422);
      expect(await refused.json()).toMatchObject({
        code: 'VALIDATION_FAILED',
        detail: expect.stringContaining('if-none-match'),
      });
    }
    expect((await get(paths().seats)).headers.get('cache-control')).toBe(
      'public, max-age=1, stale-while-revalidate=5',
    );
    expect((await get(paths().event)).headers.get('cache-control')).toBe(
      'public, max-age=10, stale-while-revalidate=30',
    );
  });

  it("moves the seat map's ETag when a hold and then the worker's release change a seat", async () => {
    const { seats, section, availability, event } = paths();
    const before = {
      seats: await etagOf(seats),
      section: await etagOf(section),
      availability: await etagOf(availability),
      event: await etagOf(event),
    };
    const reservationId = `rsv_cache_${randomUUID().slice(0, 8)}`;
    await holds.take(
      { reservationId, buyerId: 'buyer-cache', eventId, request: { seatIds: ['B-1-2'] } },
      'fingerprint-cache',
    );

    const held = await get(seats, before.seats);
    expect(held.status).toBe(200);
    const heldBody = (await held.json()) as { seats: { id: string; status: string }[] };
    expect(heldBody.seats.find((seat) => seat.id === 'B-1-2')?.status).toBe('held');
    const afterHold = held.headers.get('etag') ?? '';
    expect(afterHold).not.toBe(before.seats);
    // The state is the event's: a seat of section B moves section A's ETag too (never a stale 304).
    expect((await get(section, before.section)).status).toBe(200);
    const counted = await get(availability, before.availability);
    expect(counted.status).toBe(200);
    expect(await counted.json()).toMatchObject({
      sections: [{ id: 'A' }, { id: 'B', held: 1, available: 1 }],
    });
    // The event says nothing about seats: its ETag stays.
    await expectNotModified(event, before.event, before.event);

    await worker.releaseSeats({ reservationId, reason: 'expired', actor: 'workflow' });
    const released = await get(seats, afterHold);
    expect(released.status).toBe(200);
    const afterRelease = released.headers.get('etag') ?? '';
    // Back to the same statuses, yet a new version: a copy taken while the seat was held is not current.
    expect([before.seats, afterHold]).not.toContain(afterRelease);
    expect((await get(seats, before.seats)).status).toBe(200);
    await expectNotModified(seats, afterRelease, afterRelease);
  });

  it("moves the event's ETag when its organizer edits it", async () => {
    const { event } = paths();
    const before = await etagOf(event);
    const patched = await app.request(event, {
      method: 'PATCH',
      headers: { authorization: await bearer('org-cache', 'organizer'), 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Cacheable, renamed' }),
    });
    expect(patched.status).toBe(200);
    const edited = await get(event, before);
    expect(edited.status).toBe(200);
    expect(await edited.json()).toMatchObject({ name: 'Cacheable, renamed' });
    expect(edited.headers.get('etag')).not.toBe(before);
  });

  it('sends no ETag for a 404, and no ETag (never a wrong one) while Redis is down', async () => {
    const missing = await get('/v1/events/evt_missing/seats');
    expect(missing.status).toBe(404);
    expect(missing.headers.get('etag')).toBeNull();

    const current = { seats: await etagOf(paths().seats), availability: await etagOf(paths().availability) };
    const redis = createRedis(`redis://127.0.0.1:${await freePort()}`);
    try {
      const degraded = createTestApp({ pool: stores.pool, redis });
      for (const [path, etag] of [
        [paths().seats, current.seats],
        [paths().availability, current.availability],
      ] as const) {
        // Served from Postgres, whose version is not read: the whole answer, as the copy may be stale.
        const response = await degraded.request(path, { headers: { 'if-none-match': etag } });
        expect(response.status, path).toBe(200);
        expect(response.headers.get('etag')).toBeNull();
        expect(response.headers.get('cache-control')).toBe('public, max-age=1, stale-while-revalidate=5');
      }
    } finally {
      redis.disconnect();
    }
  });
});
