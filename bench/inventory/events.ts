// Owns the venues the inventory benchmark sells from: a hot event (one crowded section, two spread
// ones) and a 100,000-seat stadium.
import { createEvent, type NewSection } from '../../src/inventory/events';
import type { Pool } from '../../src/platform/db';

function grid(prefix: string, rows: number, seats: number, price: number): NewSection {
  return {
    id: prefix,
    name: prefix,
    price,
    rows: Array.from({ length: rows }, (_, index) => ({ id: String(index + 1), seats })),
  };
}

/** An event tomorrow with the benchmark's sale settings. */
function benchEvent(pool: Pool, name: string, venue: string, sections: NewSection[]) {
  return createEvent(pool, {
    name,
    venue,
    startsAt: new Date(Date.now() + 86_400_000).toISOString(),
    currency: 'EUR',
    holdSeconds: 600,
    maxSeatsPerBuyer: 10,
    sections,
    createdBy: 'bench',
  });
}

export function hotEvent(pool: Pool, name: string) {
  // HOT is where best-available buyers crowd; the rest spreads explicit picks over 10,000 seats.
  return benchEvent(pool, name, 'Bench Arena', [
    grid('HOT', 50, 100, 9900),
    grid('B', 50, 50, 4500),
    grid('C', 50, 50, 2500),
  ]);
}

/** A 100,000-seat venue: 40 sections of 50 rows of 50 seats (built once, outside any timing). */
const stadiumSections = Array.from({ length: 40 }, (_, i) => grid(`S${i + 1}`, 50, 50, 1000 + i * 100));

export function stadiumEvent(pool: Pool, name: string) {
  return benchEvent(pool, name, 'Stadium', stadiumSections);
}
