// Checks the demo-event seed that `npm run dev` runs on every start: seats laid out as DESIGN.md names
// them, and a second run (or two at once) changes nothing.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoEvent, demoEventId, type SeedEvent, seedEvent } from '../../scripts/lib/seed';
import { createPool, type Pool } from '../../src/platform/db';
import { testDatabaseUrl } from '../helpers/urls';

let pool: Pool;
let event: SeedEvent;

beforeAll(() => {
  pool = createPool(testDatabaseUrl, 4);
  // The demo layout under an id of this run's own, so other suites' data is untouched.
  event = { ...demoEvent(), id: `evt_seedtest_${randomUUID().slice(0, 8)}` };
});

afterAll(async () => {
  await pool.query('delete from seats where event_id = $1', [event.id]);
  await pool.query('delete from sections where event_id = $1', [event.id]);
  await pool.query('delete from events where id = $1', [event.id]);
  await pool.end();
});

describe('seedEvent', () => {
  it('uses a fixed id for the demo event so restarts find it again', () => {
    expect(demoEvent().id).toBe(demoEventId);
    expect(demoEventId).toBe('evt_demo');
  });

  it('inserts the event, its sections and every seat available, with ids section-row-seat', async () => {
    const result = await seedEvent(pool, event);
    const expectedSeats = 8 * 20 + 5 * 16;
    expect(result).toEqual({ eventId: event.id, created: true, totalSeats: expectedSeats });

    const { rows: events } = await pool.query('select total_seats, hold_seconds from events where id = $1', [
      event.id,
    ]);
    expect(events).toEqual([{ total_seats: expectedSeats, hold_seconds: event.holdSeconds }]);
    const { rows: seats } = await pool.query<{ seat_id: string; status: string; price: number }>(
      `select seat_id, status, price from seats where event_id = $1 order by section_id, row_position, position`,
      [event.id],
    );
    expect(seats).toHaveLength(expectedSeats);
    expect(seats.every((seat) => seat.status === 'available')).toBe(true);
    expect(seats.map((seat) => seat.seat_id)).toContain('floor-A-1');
    expect(seats.map((seat) => seat.seat_id)).toContain('balcony-E-16');
    expect(seats.find((seat) => seat.seat_id === 'floor-H-20')?.price).toBe(12_000);
  });

  it('changes nothing when run again, even twice at once', async () => {
    const again = await Promise.all([seedEvent(pool, event), seedEvent(pool, event)]);
    expect(again.map((result) => result.created)).toEqual([false, false]);
    const { rows } = await pool.query<{ count: number }>(
      'select count(*)::int as count from seats where event_id = $1',
      [event.id],
    );
    expect(rows[0]?.count).toBe(again[0]?.totalSeats);
  });
});
