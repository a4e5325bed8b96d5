// Owns what the inventory suites share: the inventory activities on the test stores, events with their
// own random ids, reading seats back from Postgres, and unwrapping the typed failures activities throw.
import { randomBytes } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll } from 'vitest';
import { withDomainFailures } from '../../activities/failures';
import { createInventoryActivities } from '../../activities/inventory';
import { createEvent, type EventWithSections, type NewSection } from '../../src/inventory/events';
import { createSeatMap } from '../../src/inventory/seat-map';
import { type CommitInput, commitSeatsTx } from '../../src/inventory/seats';
import { type Pool, withTransaction } from '../../src/platform/db';
import { createLogger } from '../../src/platform/logger';
import { connectTestStores } from '../helpers/app';

/**
 * The inventory activities and their seat map on the test Postgres (a pool of `poolSize`) and Redis,
 * connected before the suite's tests and closed after them.
 */
export function testInventory(poolSize: number) {
  const stores = connectTestStores(poolSize);
  const { pool, redis } = stores;
  const log = createLogger('silent', 'test');
  const seatMap = createSeatMap({ pool, redis, log });
  const inventory = {
    ...createInventoryActivities({ pool, redis, log, seatMap }),
    // The sale commits seats inside completeSale's transaction; the suites drive held -> sold on its own.
    ...withDomainFailures({
      async commitSeats(input: CommitInput): Promise<{ seatIds: string[] }> {
        const { seatIds, changes } = await withTransaction(pool, (client) => commitSeatsTx(client, input));
        await seatMap.applyChanges(changes);
        return { seatIds };
      },
    }),
  };
  beforeAll(() => stores.ready);
  afterAll(() => stores.close());
  return { pool, redis, seatMap, inventory };
}

export function uniqueId(prefix: string): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}

/** A section of `rows` rows with `seats` seats each. */
export function section(id: string, rows: number, seats: number, price = 2500): NewSection {
  return {
    id,
    name: `Section ${id}`,
    price,
    rows: Array.from({ length: rows }, (_, index) => ({ id: String(index + 1), seats })),
  };
}

export function createTestEvent(
  pool: Pool,
  options: {
    sections?: NewSection[];
    maxSeatsPerBuyer?: number;
    holdSeconds?: number;
    salesOpenAt?: string;
  } = {},
): Promise<EventWithSections> {
  return createEvent(pool, {
    name: 'Test Night',
    venue: 'Test Hall',
    startsAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
    currency: 'EUR',
    holdSeconds: options.holdSeconds ?? 600,
    maxSeatsPerBuyer: options.maxSeatsPerBuyer ?? 10,
    salesOpenAt: options.salesOpenAt,
    sections: options.sections ?? [section('A', 2, 10)],
    createdBy: uniqueId('organizer'),
  });
}

export interface SeatState {
  seat_id: string;
  section_id: string;
  row_id: string;
  position: number;
  status: 'available' | 'held' | 'sold';
  reservation_id: string | null;
  buyer_id: string | null;
  order_id: string | null;
  held_until: Date | null;
}

export async function seatStates(pool: Pool, eventId: string): Promise<SeatState[]> {
  const { rows } = await pool.query<SeatState>(
    `select seat_id, section_id, row_id, position, status, reservation_id, buyer_id, order_id, held_until
       from seats where event_id = $1 order by seat_id`,
    [eventId],
  );
  return rows;
}

export async function seatEvents(pool: Pool, eventId: string) {
  const { rows } = await pool.query<{
    seat_id: string;
    from_status: string;
    to_status: string;
    reservation_id: string | null;
    order_id: string | null;
    actor: string;
    reason: string;
  }>(
    `select seat_id, from_status, to_status, reservation_id, order_id, actor, reason
       from seat_events where event_id = $1 order by id`,
    [eventId],
  );
  return rows;
}

/** The code and details of the typed failure an activity rejected with. */
export async function failureOf(
  promise: Promise<unknown>,
): Promise<{ code: string; details: Record<string, unknown> }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ApplicationFailure && error.type) {
      return { code: error.type, details: (error.details?.[0] ?? {}) as Record<string, unknown> };
    }
    throw error;
  }
  throw new Error('expected the activity to fail, but it succeeded');
}
