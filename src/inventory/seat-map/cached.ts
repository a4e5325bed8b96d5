// Owns reading the seat map from Redis: one round trip per read, with the layouts this process has read
// kept in memory (they never change after an event is created). A read answers undefined when the map
// is not cached completely, and reports a map past its `fresh` TTL so it gets reconciled.
import type { Redis } from '../../platform/redis';
import type { SeatStatus } from '../seats';
import { type LayoutEntry, type SectionInfo, seatMapKeys, statusCode, statusOfCode } from './keys';
import type { AvailabilityView, SeatMapView, SeatView } from './views';

// Seats of parsed layouts a process keeps (about 100 bytes each): two 200,000-seat venues and more.
const layoutCacheSeats = 500_000;

function unwrap<T extends unknown[]>(results: [Error | null, unknown][] | null): T {
  return (results ?? []).map(([error, value]) => {
    if (error) throw error;
    return value;
  }) as T;
}

function seatsOf(section: string, layout: LayoutEntry[], codes: string | null): SeatView[] {
  return layout.map(([id, row, number, price], index) => ({
    id,
    section,
    row,
    number,
    price,
    status: statusOfCode[codes?.[index] ?? 'a'] ?? 'available',
  }));
}

/** Reads of the cached map; `onStale` hears of every event whose map is served past its `fresh` TTL. */
export function createCachedReads(redis: Redis, onStale: (eventId: string) => void) {
  // Layouts are immutable once an event exists: keep the parsed ones, oldest dropped first.
  const layouts = new Map<string, LayoutEntry[]>();
  let layoutSeats = 0;
  const layoutKey = (eventId: string, section: string) => `${eventId}\u0000${section}`;
  function rememberLayout(eventId: string, section: string, json: string | null): LayoutEntry[] {
    const entries = JSON.parse(json ?? '[]') as LayoutEntry[];
    const key = layoutKey(eventId, section);
    if (json === null || layouts.has(key)) return entries;
    layouts.set(key, entries);
    layoutSeats += entries.length;
    for (const [oldest, dropped] of layouts) {
      if (layoutSeats <= layoutCacheSeats || oldest === key) break;
      layouts.delete(oldest);
      layoutSeats -= dropped.length;
    }
    return entries;
  }

  async function read(eventId: string, section?: string): Promise<SeatMapView | undefined> {
    const k = seatMapKeys(eventId);
    if (section !== undefined) {
      // One round trip: the section's status letters, and its layout unless this process has it.
      const known = layouts.get(layoutKey(eventId, section));
      const multi = redis.multi().get(k.sections).exists(k.fresh).get(k.codes(section));
      if (!known) multi.hget(k.layout, section);
      const [sectionsJson, fresh, codes, layoutJson] = unwrap<
        [string | null, number, string | null, string | null]
      >(await multi.exec());
      if (!sectionsJson) return undefined;
      if (fresh === 0) onStale(eventId);
      const layout = known ?? rememberLayout(eventId, section, layoutJson ?? null);
      return { eventId, seats: seatsOf(section, layout, codes) };
    }
    const [sectionsJson, fresh] = unwrap<[string | null, number]>(
      await redis.multi().get(k.sections).exists(k.fresh).exec(),
    );
    if (!sectionsJson) return undefined;
    if (fresh === 0) onStale(eventId);
    const ids = (JSON.parse(sectionsJson) as SectionInfo[]).map((info) => info.id);
    const known = new Map(ids.map((id) => [id, layouts.get(layoutKey(eventId, id))]));
    const missing = ids.filter((id) => known.get(id) === undefined);
    const multi = redis.multi();
    for (const id of ids) multi.get(k.codes(id));
    for (const id of missing) multi.hget(k.layout, id);
    const values = unwrap<(string | null)[]>(await multi.exec());
    missing.forEach((id, index) => {
      known.set(id, rememberLayout(eventId, id, values[ids.length + index] ?? null));
    });
    return {
      eventId,
      seats: ids.flatMap((id, index) => seatsOf(id, known.get(id) ?? [], values[index] ?? null)),
    };
  }

  async function availability(eventId: string): Promise<AvailabilityView | undefined> {
    const k = seatMapKeys(eventId);
    const [sectionsJson, fresh, counts] = unwrap<[string | null, number, Record<string, string>]>(
      await redis.multi().get(k.sections).exists(k.fresh).hgetall(k.counts).exec(),
    );
    if (!sectionsJson) return undefined;
    if (fresh === 0) onStale(eventId);
    const count = (section: string, status: SeatStatus) =>
      Number(counts[`${section}:${statusCode[status]}`] ?? 0);
    return {
      eventId,
      sections: (JSON.parse(sectionsJson) as SectionInfo[]).map((info) => ({
        ...info,
        available: count(info.id, 'available'),
        held: count(info.id, 'held'),
        sold: count(info.id, 'sold'),
      })),
    };
  }

  return { read, availability };
}
