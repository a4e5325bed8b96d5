// Owns the demo event that `npm run dev` and docker-compose seed: one event with two sections, created
// through the inventory store under a fixed id, so seeding again (every restart) changes nothing.

import { createEvent, getEvent, type NewEvent } from '../../src/inventory/events';
import type { Pool } from '../../src/platform/db';
import { pgErrorCodes } from '../../src/platform/db';

export const demoEventId = 'evt_demo';

export type SeedEvent = NewEvent & { id: string };

const rows = (count: number, seats: number) =>
  Array.from({ length: count }, (_, i) => ({ id: String.fromCharCode(65 + i), seats }));

/** The demo event; `startsAt` is a month after the first seed and stays put after that. */
export function demoEvent(now = new Date()): SeedEvent {
  const startsAt = new Date(now.getTime() + 30 * 24 * 3600 * 1000);
  startsAt.setUTCHours(19, 0, 0, 0);
  return {
    id: demoEventId,
    name: 'Boxoffice Demo Night',
    venue: 'Demo Hall',
    startsAt: startsAt.toISOString(),
    currency: 'USD',
    holdSeconds: 600,
    maxSeatsPerBuyer: 6,
    sections: [
      { id: 'floor', name: 'Floor', price: 12_000, rows: rows(8, 20) },
      { id: 'balcony', name: 'Balcony', price: 6_500, rows: rows(5, 16) },
    ],
  };
}

export interface SeedResult {
  eventId: string;
  created: boolean;
  totalSeats: number;
}

/** Creates `event` (sections and seats included) unless an event with its id already exists. */
export async function seedEvent(pool: Pool, event: SeedEvent, createdBy = 'seed'): Promise<SeedResult> {
  const existing = await getEvent(pool, event.id);
  if (existing) return { eventId: event.id, created: false, totalSeats: existing.totalSeats };
  try {
    const created = await createEvent(pool, { ...event, createdBy });
    return { eventId: event.id, created: true, totalSeats: created.totalSeats };
  } catch (error) {
    // Another seeder (a second `npm run dev`, the compose job) created it first: same event, done.
    if ((error as { code?: string }).code !== pgErrorCodes.uniqueViolation) throw error;
    const raced = await getEvent(pool, event.id);
    if (!raced) throw error;
    return { eventId: event.id, created: false, totalSeats: raced.totalSeats };
  }
}
