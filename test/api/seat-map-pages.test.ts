// The seat map is served a page at a time (at most 1000 seats, in display order, `nextCursor` to go on),
// from Redis and from Postgres alike: no read serialises a whole venue, whoever asks.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool } from '../../src/platform/db';
import { createRedis } from '../../src/platform/redis';
import { bearer, connectTestStores, createTestApp } from '../helpers/app';
import { testDatabaseUrl } from '../helpers/urls';

type App = ReturnType<typeof createTestApp>;

async function get(app: App, path: string) {
  const response = await app.request(path);
  const text = await response.text();
  return { status: response.status, bytes: text.length, body: JSON.parse(text) };
}

/** Every seat id of the map, following `nextCursor` from the first page; and how many pages it took. */
async function allPages(app: App, path: string): Promise<{ ids: string[]; pages: number; largest: number }> {
  const ids: string[] = [];
  let pages = 0;
  let largest = 0;
  for (let cursor: string | undefined = ''; cursor !== undefined; pages += 1) {
    const page = await get(
      app,
      `${path}${path.includes('?') ? '&' : '?'}${cursor ? `cursor=${cursor}` : ''}`,
    );
    expect(page.status, JSON.stringify(page.body)).toBe(200);
    ids.push(...page.body.seats.map((seat: { id: string }) => seat.id));
    largest = Math.max(largest, page.bytes);
    cursor = page.body.nextCursor;
  }
  return { ids, pages, largest };
}

describe('seat map pages', () => {
  const stores = connectTestStores(4);
  const app = createTestApp(stores);
  let eventId: string;
  /** Display order: section A's rows 1, 2, 3 of 1000 seats each, then B's one row of 500. */
  const everySeat = [
    ...['1', '2', '3'].flatMap((row) => Array.from({ length: 1000 }, (_, i) => `A-${row}-${i + 1}`)),
    ...Array.from({ length: 500 }, (_, i) => `B-1-${i + 1}`),
  ];

  beforeAll(async () => {
    await stores.ready;
    const created = await app.request('/v1/events', {
      method: 'POST',
      headers: { authorization: await bearer('olga-pages', 'organizer'), 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'Paged Hall',
        venue: 'Arena',
        startsAt: '2031-01-01T20:00:00Z',
        currency: 'EUR',
        sections: [
          { id: 'A', name: 'Stalls', price: 5000, rows: ['1', '2', '3'].map((id) => ({ id, seats: 1000 })) },
          { id: 'B', name: 'Balcony', price: 3000, rows: [{ id: '1', seats: 500 }] },
        ],
      }),
    });
    expect(created.status).toBe(201);
    eventId = ((await created.json()) as { id: string }).id;
  });
  afterAll(async () => {
    await stores.close();
  });

  it('answers at most 1000 seats a page and every seat once across the pages', async () => {
    const first = await get(app, `/v1/events/${eventId}/seats`);
    expect(first.body.seats).toHaveLength(1000);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const { ids, pages, largest } = await allPages(app, `/v1/events/${eventId}/seats`);
    expect(ids).toEqual(everySeat);
    expect(pages).toBe(4);
    expect(largest).toBeLessThan(150_000);
  });

  it('pages one section, with a smaller limit if asked', async () => {
    const balcony = await get(app, `/v1/events/${eventId}/seats?section=B`);
    expect(balcony.body.seats).toHaveLength(500);
    expect(balcony.body).not.toHaveProperty('nextCursor');
    const { ids, pages } = await allPages(app, `/v1/events/${eventId}/seats?section=A&limit=700`);
    expect(ids).toEqual(everySeat.slice(0, 3000));
    expect(pages).toBe(5);
  });

  it('serves the same pages from Postgres while Redis is down', async () => {
    const pool = createPool(testDatabaseUrl, 2);
    const redis = createRedis('redis://127.0.0.1:1');
    try {
      const withoutRedis = createTestApp({ pool, redis });
      const first = await get(withoutRedis, `/v1/events/${eventId}/seats`);
      expect(first.body.seats).toHaveLength(1000);
      expect((await allPages(withoutRedis, `/v1/events/${eventId}/seats`)).ids).toEqual(everySeat);
      expect((await allPages(withoutRedis, `/v1/events/${eventId}/seats?section=B&limit=300`)).ids).toEqual(
        everySeat.slice(3000),
      );
    } finally {
      redis.disconnect();
      await pool.end();
    }
  });

  it('refuses a limit above 1000 and a cursor no page gave, naming them', async () => {
    const tooMany = await get(app, `/v1/events/${eventId}/seats?limit=1001`);
    expect(tooMany.status).toBe(422);
    expect(tooMany.body.detail).toContain('limit');
    const forged = await get(app, `/v1/events/${eventId}/seats?cursor=evt_x`);
    expect(forged.status).toBe(422);
    expect(forged.body.detail).toContain('cursor');
  });

  it('documents the paging in the OpenAPI document', async () => {
    const doc = await get(app, '/openapi.json');
    const parameters = doc.body.paths['/v1/events/{eventId}/seats'].get.parameters as { name: string }[];
    expect(parameters.map((p) => p.name)).toEqual(expect.arrayContaining(['section', 'limit', 'cursor']));
    expect(doc.body.components.schemas.SeatMap.properties).toHaveProperty('nextCursor');
  });
});
