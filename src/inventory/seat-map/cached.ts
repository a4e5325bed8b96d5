// Owns reading the seat map from Redis: one round trip per read, with the layouts this process has read
// kept in memory (they never change after an event is created). A read answers undefined when the map
// is not cached completely, and reports a map past its `fresh` TTL so it gets reconciled. A held seat
// whose lease (the lease set) lapsed beyond the grace is shown available, as Postgres's hold treats it.
// Every answer carries the map's version, read in the same round trip.
import type { Redis } from '../../platform/redis';
import type { SeatStatus } from '../seats';
import {
  type LayoutEntry,
  type SectionInfo,
  seatMapKeys,
  sectionOfSeat,
  statusCode,
  statusOfCode,
} from './keys';
import {
  type AvailabilityView,
  type MapVersion,
  nextPage,
  type SeatMapView,
  type SeatPage,
  type SeatSnapshot,
  type SeatView,
  withinPage,
} from './views';

// Seats of parsed layouts a process keeps (about 100 bytes each): two 200,000-seat venues and more.
const layoutCacheSeats = 500_000;

function unwrap<T extends unknown[]>(results: [Error | null, unknown][] | null): T {
  return (results ?? []).map(([error, value]) => {
    if (error) throw error;
    return value;
  }) as T;
}

function versionOf(seats: string | null | undefined, lapsedHolds: number): MapVersion {
  return { seats: Number(seats ?? 0), lapsedHolds };
}

function seatsOf(
  section: string,
  layout: LayoutEntry[],
  codes: string | null,
  lapsed: Set<string>,
): SeatView[] {
  return layout.map(([id, row, number, price], index) => {
    const status = statusOfCode[codes?.[index] ?? 'a'] ?? 'available';
    return {
      id,
      section,
      row,
      number,
      price,
      status: status === 'held' && lapsed.has(id) ? 'available' : status,
    };
  });
}

/**
 * Reads of the cached map; `onStale` hears of every event whose map is served past its `fresh` TTL, and
 * held seats more than `graceSeconds` past their lease read as available.
 */
export function createCachedReads(redis: Redis, onStale: (eventId: string) => void, graceSeconds: number) {
  /** The lease set's range of lapsed holds: held_until before now minus the grace. */
  const lapsedRange = () => ['-inf', `(${Date.now() - graceSeconds * 1000}`] as const;

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

  async function read(eventId: string, section?: string, page?: SeatPage): Promise<SeatMapView | undefined> {
    const k = seatMapKeys(eventId);
    if (section !== undefined) {
      // One round trip: the section's status letters, and its layout unless this process has it.
      const known = layouts.get(layoutKey(eventId, section));
      const multi = redis
        .multi()
        .get(k.sections)
        .exists(k.fresh)
        .get(k.codes(section))
        .zrangebyscore(k.leases, ...lapsedRange())
        .get(k.version);
      if (!known) multi.hget(k.layout, section);
      const [sectionsJson, fresh, codes, lapsed, version, layoutJson] = unwrap<
        [string | null, number, string | null, string[], string | null, string | null]
      >(await multi.exec());
      if (!sectionsJson) return undefined;
      if (fresh === 0) onStale(eventId);
      const layout = known ?? rememberLayout(eventId, section, layoutJson ?? null);
      const [from, to] = withinPage(0, layout.length, page);
      const seats = seatsOf(section, layout.slice(from, to), codes?.slice(from, to) ?? null, new Set(lapsed));
      return {
        eventId,
        seats,
        ...nextPage(layout.length, page),
        version: versionOf(version, lapsed.length),
      };
    }
    const [sectionsJson, fresh, lapsedIds, version] = unwrap<
      [string | null, number, string[], string | null]
    >(
      await redis
        .multi()
        .get(k.sections)
        .exists(k.fresh)
        .zrangebyscore(k.leases, ...lapsedRange())
        .get(k.version)
        .exec(),
    );
    const lapsed = new Set(lapsedIds);
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
    // Only the page's seats are built: the rest of a 200,000-seat venue is skipped by its sections' sizes.
    const seats: SeatView[] = [];
    let start = 0;
    ids.forEach((id, index) => {
      const layout = known.get(id) ?? [];
      const [from, to] = withinPage(start, layout.length, page);
      if (from < to) {
        seats.push(...seatsOf(id, layout.slice(from, to), values[index]?.slice(from, to) ?? null, lapsed));
      }
      start += layout.length;
    });
    return { eventId, seats, ...nextPage(start, page), version: versionOf(version, lapsed.size) };
  }

  async function availability(eventId: string): Promise<AvailabilityView | undefined> {
    const k = seatMapKeys(eventId);
    const [sectionsJson, fresh, counts, lapsedIds, version] = unwrap<
      [string | null, number, Record<string, string>, string[], string | null]
    >(
      await redis
        .multi()
        .get(k.sections)
        .exists(k.fresh)
        .hgetall(k.counts)
        .zrangebyscore(k.leases, ...lapsedRange())
        .get(k.version)
        .exec(),
    );
    if (!sectionsJson) return undefined;
    if (fresh === 0) onStale(eventId);
    const count = (section: string, status: SeatStatus) =>
      Number(counts[`${section}:${statusCode[status]}`] ?? 0);
    // Lapsed holds are counted held in Redis (their status did not change) and shown available.
    const lapsed = new Map<string, number>();
    for (const id of lapsedIds) {
      const section = sectionOfSeat(id) ?? '';
      lapsed.set(section, (lapsed.get(section) ?? 0) + 1);
    }
    return {
      eventId,
      sections: (JSON.parse(sectionsJson) as SectionInfo[]).map((info) => ({
        ...info,
        available: count(info.id, 'available') + (lapsed.get(info.id) ?? 0),
        held: count(info.id, 'held') - (lapsed.get(info.id) ?? 0),
        sold: count(info.id, 'sold'),
      })),
      version: versionOf(version, lapsedIds.length),
    };
  }

  /**
   * Every seat's status (of one section, or all) and the map's version, read in one transaction so the
   * statuses are exactly those at that version: what a live client starts from. Lapsed holds show
   * available, as in `read`.
   */
  async function snapshot(eventId: string, section?: string): Promise<SeatSnapshot | undefined> {
    const k = seatMapKeys(eventId);
    // Sections never change once the map is complete, so reading them first leaves the snapshot atomic.
    const sectionsJson = await redis.get(k.sections);
    if (!sectionsJson) return undefined;
    const all = (JSON.parse(sectionsJson) as SectionInfo[]).map((info) => info.id);
    const ids = section === undefined ? all : all.filter((id) => id === section);
    const known = new Map(ids.map((id) => [id, layouts.get(layoutKey(eventId, id))]));
    const missing = ids.filter((id) => known.get(id) === undefined);
    const multi = redis
      .multi()
      .get(k.version)
      .zrangebyscore(k.leases, ...lapsedRange());
    for (const id of ids) multi.get(k.codes(id));
    for (const id of missing) multi.hget(k.layout, id);
    const [version, lapsedIds, ...values] = unwrap<[string | null, string[], ...(string | null)[]]>(
      await multi.exec(),
    );
    missing.forEach((id, index) => {
      known.set(id, rememberLayout(eventId, id, values[ids.length + index] ?? null));
    });
    const lapsed = new Set(lapsedIds);
    const seats = ids.flatMap((id, index) =>
      seatsOf(id, known.get(id) ?? [], values[index] ?? null, lapsed).map((seat) => ({
        id: seat.id,
        status: seat.status,
      })),
    );
    return { version: Number(version ?? 0), seats };
  }

  return { read, availability, snapshot };
}
