import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createSeatMap } from '../../src/inventory/seat-map';
import { holdSeatsTx, type SeatChange, type SeatStatus } from '../../src/inventory/seats';
import { createLogger } from '../../src/platform/logger';
import { createRedis } from '../../src/platform/redis';
import { connectTestStores } from '../helpers/app';
import { testRedisUrl } from '../helpers/urls';
import { createTestEvent, section, uniqueId } from './helpers';

const stores = connectTestStores(5);
const { pool, redis } = stores;
const log = createLogger('silent', 'test');
const seatMap = createSeatMap({ pool, redis, log });

beforeAll(() => stores.ready);
afterAll(() => stores.close());

const statuses: SeatStatus[] = ['available', 'held', 'sold'];

describe('seat map', () => {
  it('keeps the highest version of every seat whatever order writes land in', async () => {
    const event = await createTestEvent(pool, { sections: [section('A', 2, 5), section('B', 1, 5)] });
    await seatMap.fill(event.id);
    const seatIds = [...Array.from({ length: 10 }, (_, i) => `A-${Math.floor(i / 5) + 1}-${(i % 5) + 1}`)];
    seatIds.push(...Array.from({ length: 5 }, (_, i) => `B-1-${i + 1}`));

    // Each run continues from the versions the previous one left, as Postgres would.
    const versions = new Map(seatIds.map((id) => [id, 0]));
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.constantFrom(...seatIds), fc.constantFrom(...statuses)), { maxLength: 60 }),
        fc.integer({ min: 1, max: 8 }),
        fc.infiniteStream(fc.nat()),
        async (transitions, batches, order) => {
          const changes: SeatChange[] = transitions.map(([seatId, status]) => {
            const version = (versions.get(seatId) ?? 0) + 1;
            versions.set(seatId, version);
            return { eventId: event.id, seatId, section: seatId.split('-')[0] ?? '', status, version };
          });
          const expected = new Map<string, SeatStatus>();
          for (const change of changes) expected.set(change.seatId, change.status);

          // Deliver them shuffled, in concurrent batches: retries, crashes and overtaking writers.
          const shuffled = changes
            .map((change) => ({ change, key: order.next().value as number }))
            .sort((a, b) => a.key - b.key)
            .map(({ change }) => change);
          const size = Math.ceil(shuffled.length / batches) || 1;
          const parts = Array.from({ length: batches }, (_, i) => shuffled.slice(i * size, (i + 1) * size));
          await Promise.all(parts.map((part) => seatMap.applyChanges(part)));

          const map = await seatMap.cached.read(event.id);
          const shown = new Map(map?.seats.map((seat) => [seat.id, seat.status]));
          for (const [seatId, status] of expected) expect(shown.get(seatId)).toBe(status);
          // Every answer names the map's one version, whatever the order of delivery.
          expect(map?.version).toEqual({ seats: await seatMap.version(event.id), lapsedHolds: 0 });
          expect((await seatMap.cached.read(event.id, 'B'))?.version).toEqual(map?.version);
          const availability = await seatMap.cached.availability(event.id);
          expect(availability?.version).toEqual(map?.version);
          for (const counts of availability?.sections ?? []) {
            const inSection = map?.seats.filter((seat) => seat.section === counts.id) ?? [];
            expect(counts).toMatchObject({
              available: inSection.filter((seat) => seat.status === 'available').length,
              held: inSection.filter((seat) => seat.status === 'held').length,
              sold: inSection.filter((seat) => seat.status === 'sold').length,
            });
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it('fills a cold map from Postgres on its first read', async () => {
    const event = await createTestEvent(pool);
    await holdSeatsTx(pool, {
      reservationId: uniqueId('res'),
      buyerId: 'ann',
      eventId: event.id,
      request: { seatIds: ['A-1-1'] },
    });
    expect(await seatMap.cached.read(event.id)).toBeUndefined();

    const map = await seatMap.read(event.id);

    expect(map?.seats.find((seat) => seat.id === 'A-1-1')?.status).toBe('held');
    // Answered from Postgres, so without the cached map's version; the filled map has one.
    expect(map?.version).toBeUndefined();
    const { version, ...cached } = (await seatMap.cached.read(event.id)) ?? {};
    expect(cached).toEqual(map);
    expect(version).toEqual({ seats: await seatMap.version(event.id), lapsedHolds: 0 });
    expect(version?.seats).toBeGreaterThan(0);
    expect((await seatMap.cached.availability(event.id))?.sections).toEqual([
      { id: 'A', name: 'Section A', price: 2500, available: 19, held: 1, sold: 0 },
    ]);
  });

  it("names a filled map by the map's version, and tells a lapsed lease apart though no write moved it", async () => {
    const noGrace = createSeatMap({ pool, redis, log, config: { holdGraceSeconds: 0 } });
    const event = await createTestEvent(pool);
    await holdSeatsTx(pool, {
      reservationId: uniqueId('res'),
      buyerId: 'cat',
      eventId: event.id,
      request: { seatIds: ['A-1-1', 'A-1-2'] },
    });
    await noGrace.fill(event.id);
    const filled = await noGrace.version(event.id);
    expect((await noGrace.cached.read(event.id))?.version).toEqual({ seats: filled, lapsedHolds: 0 });

    // A lease that ends with no write at all (a vanished workflow): the map shows the seat available.
    const lapsed = Date.now() - 1000;
    await pool.query(`update seats set held_until = $2 where event_id = $1 and seat_id = 'A-1-1'`, [
      event.id,
      new Date(lapsed),
    ]);
    await noGrace.applyChanges([
      { eventId: event.id, seatId: 'A-1-1', section: 'A', status: 'held', version: 1, heldUntil: lapsed },
    ]);
    const shown = await noGrace.cached.read(event.id);
    expect(shown?.seats.find((seat) => seat.id === 'A-1-1')?.status).toBe('available');
    expect(shown?.version).toEqual({ seats: filled, lapsedHolds: 1 });
    expect((await noGrace.cached.availability(event.id))?.version).toEqual(shown?.version);
  });

  it('keeps a write-through that overtook a fill reading older rows', async () => {
    const event = await createTestEvent(pool);
    // A transition newer than anything the fill will read lands first (the fill's read raced it).
    await seatMap.applyChanges([
      { eventId: event.id, seatId: 'A-1-9', section: 'A', status: 'sold', version: 7 },
    ]);

    await seatMap.fill(event.id);

    const map = await seatMap.cached.read(event.id, 'A');
    expect(map?.seats.find((seat) => seat.id === 'A-1-9')?.status).toBe('sold');
    expect((await seatMap.cached.availability(event.id))?.sections[0]).toMatchObject({
      available: 19,
      sold: 1,
    });
    expect(
      (await seatMap.cached.read(event.id))?.seats.filter((seat) => seat.status !== 'available'),
    ).toEqual([{ id: 'A-1-9', section: 'A', row: '1', number: '9', price: 2500, status: 'sold' }]);
  });

  it('repairs a write-through that never arrived once the map goes stale', async () => {
    const quick = createSeatMap({ pool, redis, log, freshSeconds: 1 });
    const event = await createTestEvent(pool);
    await quick.fill(event.id);
    // Held in Postgres, but the write-through is lost (a crash between commit and Redis).
    await holdSeatsTx(pool, {
      reservationId: uniqueId('res'),
      buyerId: 'ben',
      eventId: event.id,
      request: { seatIds: ['A-2-3'] },
    });

    await vi.waitFor(
      async () => {
        const map = await quick.read(event.id, 'A');
        expect(map?.seats.find((seat) => seat.id === 'A-2-3')?.status).toBe('held');
      },
      { timeout: 10_000, interval: 200 },
    );
    expect((await quick.cached.availability(event.id))?.sections[0]).toMatchObject({
      available: 19,
      held: 1,
    });
  });

  it('repairs a failed write-through as soon as Redis answers again', async () => {
    const event = await createTestEvent(pool);
    await seatMap.fill(event.id);
    const hold = await holdSeatsTx(pool, {
      reservationId: uniqueId('res'),
      buyerId: 'eli',
      eventId: event.id,
      request: { seatIds: ['A-2-9', 'A-2-10'] },
    });
    // A process whose Redis client is still connecting: its write-through fails at once.
    const early = createRedis(testRedisUrl);
    const earlyMap = createSeatMap({ pool, redis: early, log });
    await earlyMap.applyChanges(hold.changes);
    expect(
      (await seatMap.cached.read(event.id, 'A'))?.seats.filter((seat) => seat.status === 'held'),
    ).toEqual([]);

    await vi.waitFor(
      async () => {
        const held = (await seatMap.cached.read(event.id, 'A'))?.seats.filter(
          (seat) => seat.status === 'held',
        );
        expect(held?.map((seat) => seat.id)).toEqual(['A-2-9', 'A-2-10']);
      },
      { timeout: 10_000, interval: 100 },
    );
    early.disconnect();
  });

  it('writes through a transition another module committed', async () => {
    const event = await createTestEvent(pool);
    await seatMap.fill(event.id);
    await holdSeatsTx(pool, {
      reservationId: uniqueId('res'),
      buyerId: 'cat',
      eventId: event.id,
      request: { seatIds: ['A-1-4', 'A-1-5'] },
    });

    await seatMap.applyTransition(event.id, ['A-1-4', 'A-1-5'], 'held');

    const map = await seatMap.cached.read(event.id, 'A');
    expect(map?.seats.filter((seat) => seat.status === 'held').map((seat) => seat.id)).toEqual([
      'A-1-4',
      'A-1-5',
    ]);
  });

  it('answers fast rejections from the cache, and nothing when it cannot', async () => {
    const event = await createTestEvent(pool);
    expect(await seatMap.unavailableAmong(event.id, ['A-1-1'])).toBeUndefined();
    expect(await seatMap.availableCount(event.id, 'A')).toBeUndefined();

    await seatMap.fill(event.id);
    const hold = await holdSeatsTx(pool, {
      reservationId: uniqueId('res'),
      buyerId: 'dot',
      eventId: event.id,
      request: { seatIds: ['A-1-1', 'A-1-2'] },
    });
    await seatMap.applyChanges(hold.changes);

    expect(await seatMap.unavailableAmong(event.id, ['A-1-1', 'A-1-3', 'A-9-9', 'no-dash', 'Z-1-1'])).toEqual(
      ['A-1-1'],
    );
    expect(await seatMap.availableCount(event.id, 'A')).toBe(18);
    expect(await seatMap.availableCount(event.id, 'NOPE')).toBeUndefined();
    expect(await seatMap.unavailableAmong(uniqueId('evt'), ['A-1-1'])).toBeUndefined();
  });
});
