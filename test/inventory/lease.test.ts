// The hold as a lease in Postgres (DESIGN.md, invariant 5): a held seat whose held_until lapsed beyond
// the grace is available wherever seats are read (the hold function, the commit, the seat map in Redis
// and Postgres, availability, fast rejection), and taking it audits the lapse. Real Postgres and Redis;
// holds of one second and a grace of zero, so leases lapse while the test waits for them to.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createInventoryActivities } from '../../activities/inventory';
import { createFastRejection } from '../../api/fast-rejection';
import { createSeatMap } from '../../src/inventory/seat-map';
import { commitSeatsTx, holdSeatsTx } from '../../src/inventory/seats';
import { type Pool, withTransaction } from '../../src/platform/db';
import { createLogger } from '../../src/platform/logger';
import { connectTestStores } from '../helpers/app';
import { createTestEvent, seatEvents, seatStates, section, uniqueId } from './helpers';

const stores = connectTestStores(5);
const { pool, redis } = stores;
beforeAll(() => stores.ready);
afterAll(() => stores.close());
const log = createLogger('silent', 'test');
// A grace of zero: a seat is back on sale the moment its lease ends.
const config = { holdGraceSeconds: 0 };
const seatMap = createSeatMap({ pool, redis, log, config });
const inventory = createInventoryActivities({ pool, redis, log, seatMap, config });

/** Resolves once every held seat of the event is past its lease by Postgres's clock. */
async function leasesLapsed(db: Pool, eventId: string): Promise<void> {
  await expect
    .poll(async () => {
      const { rows } = await db.query<{ live: number }>(
        `select count(*)::int as live from seats
          where event_id = $1 and status = 'held' and held_until >= now()`,
        [eventId],
      );
      return rows[0]?.live;
    })
    .toBe(0);
}

/** An event whose holds last one second, with `seatIds` held by a reservation whose workflow is gone. */
async function abandonedHold(seatIds: string[], buyerId = uniqueId('gone')) {
  const event = await createTestEvent(pool, { holdSeconds: 1, sections: [section('A', 1, 6)] });
  const reservationId = uniqueId('res');
  await inventory.holdSeats({ reservationId, buyerId, eventId: event.id, request: { seatIds } });
  return { eventId: event.id, reservationId, buyerId };
}

it('takes a seat whose lease lapsed, auditing the lapse as a system transition before the new hold', async () => {
  const gone = await abandonedHold(['A-1-1']);
  await leasesLapsed(pool, gone.eventId);
  const taker = uniqueId('res');
  const hold = await inventory.holdSeats({
    reservationId: taker,
    buyerId: 'bea',
    eventId: gone.eventId,
    request: { seatIds: ['A-1-1'] },
  });
  expect(hold.seats.map((seat) => seat.id)).toEqual(['A-1-1']);
  const seat = (await seatStates(pool, gone.eventId)).find((row) => row.seat_id === 'A-1-1');
  expect(seat).toMatchObject({ status: 'held', reservation_id: taker, buyer_id: 'bea' });
  const events = await seatEvents(pool, gone.eventId);
  expect(events.map((row) => [row.from_status, row.to_status, row.reservation_id, row.actor])).toEqual([
    ['available', 'held', gone.reservationId, gone.buyerId],
    ['held', 'available', gone.reservationId, 'system'],
    ['available', 'held', taker, 'bea'],
  ]);
  expect(events[1]?.reason).toContain(gone.reservationId);
  expect(events[1]?.reason).toMatch(/lapsed/);
});

it('takes lapsed seats for best available, and no longer counts a lapsed hold against its buyer', async () => {
  const gone = await abandonedHold(['A-1-1', 'A-1-2', 'A-1-3', 'A-1-4', 'A-1-5', 'A-1-6'], 'cat');
  await leasesLapsed(pool, gone.eventId);
  await pool.query('update events set max_seats_per_buyer = 6 where id = $1', [gone.eventId]);
  // The same buyer again: their six lapsed seats are neither held nor owned any more.
  const hold = await inventory.holdSeats({
    reservationId: uniqueId('res'),
    buyerId: 'cat',
    eventId: gone.eventId,
    request: { section: 'A', quantity: 2, adjacent: true },
  });
  expect(hold.seats.map((seat) => seat.id)).toEqual(['A-1-1', 'A-1-2']);
  const lapses = (await seatEvents(pool, gone.eventId)).filter((row) => row.actor === 'system');
  expect(lapses).toHaveLength(6);
  expect((await seatStates(pool, gone.eventId)).filter((row) => row.status === 'available')).toHaveLength(4);
});

it('keeps a seat off sale while its lapsed lease is within the grace', async () => {
  const gone = await abandonedHold(['A-1-1']);
  await leasesLapsed(pool, gone.eventId);
  const refused = await holdSeatsTx(
    pool,
    {
      reservationId: uniqueId('res'),
      buyerId: 'dan',
      eventId: gone.eventId,
      request: { seatIds: ['A-1-1'] },
    },
    { graceSeconds: 3600 },
  ).then(
    () => undefined,
    (error: { code?: string }) => error.code,
  );
  expect(refused).toBe('SEATS_UNAVAILABLE');
  expect((await seatEvents(pool, gone.eventId)).map((row) => row.actor)).toEqual([gone.buyerId]);
});

it('refuses to commit a hold whose lease lapsed beyond the grace, and commits one within it', async () => {
  const stale = await abandonedHold(['A-1-1']);
  await leasesLapsed(pool, stale.eventId);
  const commit = (reservationId: string, graceSeconds: number) =>
    withTransaction(pool, (client) =>
      commitSeatsTx(
        client,
        { reservationId, orderId: uniqueId('ord'), seatIds: ['A-1-1'] },
        { graceSeconds },
      ),
    );
  const refused = await commit(stale.reservationId, 0).then(
    () => undefined,
    (error: { code?: string; message: string }) => [error.code, error.message],
  );
  expect(refused?.[0]).toBe('SEATS_NOT_HELD');
  expect(refused?.[1]).toMatch(/lapsed/);
  expect((await seatStates(pool, stale.eventId))[0]).toMatchObject({ status: 'held' });

  const sold = await commit(stale.reservationId, 3600);
  expect(sold.seatIds).toEqual(['A-1-1']);
});

it('moves the lease with the workflow, in Postgres and in the seat map, but never revives a lapsed one', async () => {
  const gone = await abandonedHold(['A-1-1', 'A-1-2']);
  await seatMap.fill(gone.eventId);
  const firstLease = (await seatStates(pool, gone.eventId))[0]?.held_until?.getTime() ?? 0;
  const heldUntil = new Date(Date.now() + 60_000).toISOString();
  const moved = await inventory.syncLease({ reservationId: gone.reservationId, heldUntil });
  expect(moved.seatIds).toEqual(['A-1-1', 'A-1-2']);
  const rows = await seatStates(pool, gone.eventId);
  expect(rows[0]?.held_until?.toISOString()).toBe(heldUntil);
  // Past the first one-second lease, the map still shows the seats held: it learned the new lease.
  await expect.poll(() => Date.now() > firstLease).toBe(true);
  const shown = await seatMap.cached.read(gone.eventId, 'A');
  expect(shown?.seats.filter((seat) => seat.status === 'held').map((seat) => seat.id)).toEqual([
    'A-1-1',
    'A-1-2',
  ]);

  const lapsed = await abandonedHold(['A-1-3']);
  await leasesLapsed(pool, lapsed.eventId);
  const revived = await inventory.syncLease({ reservationId: lapsed.reservationId, heldUntil });
  expect(revived.seatIds).toEqual([]);
});

it('shows a seat whose lease lapsed as available in the seat map, availability and fast rejection', async () => {
  const gone = await abandonedHold(['A-1-1', 'A-1-2']);
  await seatMap.fill(gone.eventId);
  const fastRejection = createFastRejection(redis, seatMap);
  const request = { seatIds: ['A-1-1'] };
  const asked = () => ({
    eventId: gone.eventId,
    buyerId: uniqueId('eve'),
    idempotencyKey: uniqueId('k'),
    request,
  });
  await expect(fastRejection.check(asked())).rejects.toMatchObject({ code: 'SEATS_UNAVAILABLE' });
  await leasesLapsed(pool, gone.eventId);

  const statusOf = (seats: { id: string; status: string }[] | undefined, id: string) =>
    seats?.find((seat) => seat.id === id)?.status;
  for (const read of [seatMap.read, seatMap.cached.read, seatMap.fromPostgres.read]) {
    expect(statusOf((await read(gone.eventId))?.seats, 'A-1-1')).toBe('available');
    expect(statusOf((await read(gone.eventId, 'A'))?.seats, 'A-1-2')).toBe('available');
  }
  for (const availability of [
    seatMap.availability,
    seatMap.cached.availability,
    seatMap.fromPostgres.availability,
  ]) {
    expect((await availability(gone.eventId))?.sections[0]).toMatchObject({ available: 6, held: 0 });
  }
  expect(await seatMap.unavailableAmong(gone.eventId, ['A-1-1', 'A-1-2', 'A-1-3'])).toEqual([]);
  expect(await seatMap.availableCount(gone.eventId, 'A')).toBe(6);
  await expect(fastRejection.check(asked())).resolves.toBeUndefined();
  await expect(
    fastRejection.check({ ...asked(), request: { section: 'A', quantity: 6 } }),
  ).resolves.toBeUndefined();
});
