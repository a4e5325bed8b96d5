import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInventoryActivities } from '../../activities/inventory';
import { createSeatMap } from '../../src/inventory/seat-map';
import { createLogger } from '../../src/platform/logger';
import { createRedis } from '../../src/platform/redis';
import { bearer, connectTestStores, createTestApp } from '../helpers/app';
import { uniqueId } from './helpers';

// Nothing listens on port 1: every Redis command fails at once (no offline queue).
const downRedis = createRedis('redis://127.0.0.1:1');
const stores = connectTestStores(5);
const { pool } = stores;
const log = createLogger('silent', 'test');
const seatMap = createSeatMap({ pool, redis: downRedis, log });
const app = createTestApp({ pool, redis: downRedis });
const inventory = createInventoryActivities({ pool, redis: downRedis, log, seatMap });

beforeAll(() => stores.ready);
afterAll(async () => {
  downRedis.disconnect();
  await stores.close();
});

async function json(path: string, init?: RequestInit) {
  const response = await app.request(path, init);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('with Redis down', () => {
  it('creates events, holds seats and serves seat maps and availability from Postgres', async () => {
    const created = await json('/v1/events', {
      method: 'POST',
      headers: {
        authorization: await bearer(uniqueId('org'), 'organizer'),
        'content-type': 'application/json',
      },
      body: JSON.stringify({
        name: 'Offline Night',
        venue: 'Hall',
        startsAt: new Date(Date.now() + 86_400_000).toISOString(),
        currency: 'USD',
        sections: [{ id: 'A', name: 'A', price: 1000, rows: [{ id: '1', seats: 4 }] }],
      }),
    });
    expect(created.status).toBe(201);
    const eventId = created.body.id as string;

    const hold = await inventory.holdSeats({
      reservationId: uniqueId('res'),
      buyerId: 'olga',
      eventId,
      request: { section: 'A', quantity: 2, adjacent: true },
    });
    expect(hold.seats.map((seat) => seat.id)).toEqual(['A-1-1', 'A-1-2']);

    const map = await json(`/v1/events/${eventId}/seats?section=A`);
    expect(map.status).toBe(200);
    expect((map.body.seats as { status: string }[]).map((seat) => seat.status)).toEqual([
      'held',
      'held',
      'available',
      'available',
    ]);
    const availability = await json(`/v1/events/${eventId}/availability`);
    expect(availability).toEqual({
      status: 200,
      body: { eventId, sections: [{ id: 'A', name: 'A', price: 1000, available: 2, held: 2, sold: 0 }] },
    });
    expect((await json(`/v1/events/${uniqueId('evt')}/seats`)).status).toBe(404);
  });

  it('says the cache cannot answer fast rejections instead of guessing', async () => {
    expect(await seatMap.unavailableAmong(uniqueId('evt'), ['A-1-1'])).toBeUndefined();
    expect(await seatMap.availableCount(uniqueId('evt'), 'A')).toBeUndefined();
  });
});
