// Owns the cached seat map for browsing: Redis hashes written through after every committed seat
// transition, filled from Postgres on a miss, and answered from Postgres whenever Redis is down.
// Postgres stays the judge of who owns a seat; this cache serves reads and the API's fast rejections.
//
// Keys, one hash tag per event so a Redis Cluster keeps an event's keys on one slot:
//   seatmap:{eventId}:sections        JSON [{id, name, price}] in display order; present = the map is complete
//   seatmap:{eventId}:layout          hash section -> JSON [[seatId, row, number, price], ...] in display order
//   seatmap:{eventId}:st:{section}    hash seatId -> "<version>:<a|h|s>[:<offset>]", the judge of which
//                                     write is newer; offset = the seat's index in the section's layout
//   seatmap:{eventId}:codes:{section} string, one status letter per seat in layout order, for fast reads
//   seatmap:{eventId}:counts          hash "<section>:<a|h|s>" -> seats in that state
//   seatmap:{eventId}:fresh           present (with a TTL) while the map was reconciled with Postgres lately
//   seatmap:{eventId}:filling         short lock: one process fills an event at a time
// Every write carries the seat's Postgres `version` and a lower version never overwrites a higher one,
// so write-through, a concurrent fill and retries commute; counters move only with the seat's status.
// Layouts never change after an event is created, so each process also keeps the ones it read.
import { createHash } from 'node:crypto';
import type { Pool } from '../platform/db';
import type { Logger } from '../platform/logger';
import type { Redis } from '../platform/redis';
import {
  countSeats,
  readSeatChanges,
  readSeatRows,
  type SeatChange,
  type SeatRow,
  type SeatStatus,
  type SectionCounts,
} from './seats';

export interface SeatView {
  id: string;
  section: string;
  row: string;
  number: string;
  price: number;
  status: SeatStatus;
}

export interface SeatMapView {
  eventId: string;
  seats: SeatView[];
}

export interface AvailabilityView {
  eventId: string;
  sections: SectionCounts[];
}

export interface SeatMapDeps {
  pool: Pool;
  redis: Redis;
  log: Logger;
  /** How long a filled map is served before it is reconciled with Postgres again in the background. */
  freshSeconds?: number;
}

interface SectionInfo {
  id: string;
  name: string;
  price: number;
}

type LayoutEntry = [id: string, row: string, number: string, price: number];

const statusCode: Record<SeatStatus, string> = { available: 'a', held: 'h', sold: 's' };
const statusOfCode: Record<string, SeatStatus> = { a: 'available', h: 'held', s: 'sold' };

// Parses a status value "<version>:<code>[:<offset>]" (shared by both scripts).
const parseLua = `
local function parse(value)
  if not value then return -1, false, false end
  local sep = string.find(value, ':', 1, true)
  local offset = false
  if #value > sep + 1 then offset = string.sub(value, sep + 3) end
  return tonumber(string.sub(value, 1, sep - 1)), string.sub(value, sep + 1, sep + 1), offset
end
`;

// KEYS[1] the counts hash; then for change i KEYS[2i] its section's status hash and KEYS[2i + 1] its
// section's codes string. ARGV per change: seatId, section, version, status code. The codes string
// gets the new status when the seat's offset is known (from its section's first fill onwards).
const applyScript = `${parseLua}
local counts = KEYS[1]
local delta = {}
for i = 1, (#KEYS - 1) / 2 do
  local statusKey, codesKey = KEYS[2 * i], KEYS[2 * i + 1]
  local base = (i - 1) * 4
  local seat, section, version, status = ARGV[base + 1], ARGV[base + 2], tonumber(ARGV[base + 3]), ARGV[base + 4]
  local oldVersion, oldStatus, offset = parse(redis.call('HGET', statusKey, seat))
  if version > oldVersion then
    if offset then
      redis.call('HSET', statusKey, seat, version .. ':' .. status .. ':' .. offset)
      redis.call('SETRANGE', codesKey, tonumber(offset), status)
    else
      redis.call('HSET', statusKey, seat, version .. ':' .. status)
    end
    if oldStatus ~= status then
      if oldStatus then
        delta[section .. ':' .. oldStatus] = (delta[section .. ':' .. oldStatus] or 0) - 1
      end
      delta[section .. ':' .. status] = (delta[section .. ':' .. status] or 0) + 1
    end
  end
end
for field, change in pairs(delta) do
  if change ~= 0 then redis.call('HINCRBY', counts, field, change) end
end
return 1
`;

// A fill writes a run of consecutive seats of one section at a time, by the same version rule, with
// one HMGET, one HSET and one SETRANGE instead of a few commands per seat.
// KEYS[1] the counts hash, KEYS[2] the section's status hash, KEYS[3] the section's codes string.
// ARGV[1] the section, ARGV[2] the run's first offset, then per seat in layout order: seatId, version, code.
const fillScript = `${parseLua}
local counts, statusKey, codesKey = KEYS[1], KEYS[2], KEYS[3]
local section, first = ARGV[1], tonumber(ARGV[2])
local n = (#ARGV - 2) / 3
local ids = {}
for i = 1, n do ids[i] = ARGV[3 + (i - 1) * 3] end
local olds = redis.call('HMGET', statusKey, unpack(ids))
local writes, codes, delta = {}, {}, {}
for i = 1, n do
  local version, status = tonumber(ARGV[4 + (i - 1) * 3]), ARGV[5 + (i - 1) * 3]
  local offset = first + i - 1
  local oldVersion, oldStatus, oldOffset = parse(olds[i])
  if version > oldVersion then
    writes[#writes + 1] = ids[i]
    writes[#writes + 1] = version .. ':' .. status .. ':' .. offset
    codes[i] = status
    if oldStatus ~= status then
      if oldStatus then
        delta[section .. ':' .. oldStatus] = (delta[section .. ':' .. oldStatus] or 0) - 1
      end
      delta[section .. ':' .. status] = (delta[section .. ':' .. status] or 0) + 1
    end
  else
    -- A newer write-through got here first: keep it, and give it its offset.
    codes[i] = oldStatus
    if not oldOffset then
      writes[#writes + 1] = ids[i]
      writes[#writes + 1] = oldVersion .. ':' .. oldStatus .. ':' .. offset
    end
  end
end
if #writes > 0 then redis.call('HSET', statusKey, unpack(writes)) end
redis.call('SETRANGE', codesKey, first, table.concat(codes))
for field, change in pairs(delta) do
  if change ~= 0 then redis.call('HINCRBY', counts, field, change) end
end
return 1
`;

const scripts = {
  apply: { lua: applyScript, sha: createHash('sha1').update(applyScript).digest('hex') },
  fill: { lua: fillScript, sha: createHash('sha1').update(fillScript).digest('hex') },
};

const fillChunk = 2000;
// Seats of parsed layouts a process keeps (about 100 bytes each): two 200,000-seat venues and more.
const layoutCacheSeats = 500_000;
const fillLockMs = 30_000;

const keys = (eventId: string) => {
  const tag = `seatmap:{${eventId}}`;
  return {
    sections: `${tag}:sections`,
    layout: `${tag}:layout`,
    counts: `${tag}:counts`,
    fresh: `${tag}:fresh`,
    filling: `${tag}:filling`,
    status: (section: string) => `${tag}:st:${section}`,
    codes: (section: string) => `${tag}:codes:${section}`,
  };
};

/** Seat ids are `${section}-${row}-${seat}` and section ids contain no '-'. */
export function sectionOfSeat(seatId: string): string | undefined {
  const dash = seatId.indexOf('-');
  return dash > 0 ? seatId.slice(0, dash) : undefined;
}

function parseStatus(value: string | null | undefined): { version: number; status: SeatStatus } | undefined {
  if (!value) return undefined;
  const sep = value.indexOf(':');
  const status = statusOfCode[value.charAt(sep + 1)];
  return status ? { version: Number(value.slice(0, sep)), status } : undefined;
}

/**
 * The seat map: read it, and write every committed transition through.
 * @example
 *   const seatMap = createSeatMap({ pool, redis, log });
 *   const result = await withTransaction(pool, (client) => commitSeatsTx(client, input));
 *   await seatMap.applyChanges(result.changes);
 */
export function createSeatMap(deps: SeatMapDeps) {
  const { pool, redis, log } = deps;
  const freshSeconds = deps.freshSeconds ?? 120;
  let redisDown = false;

  function redisFailed(error: unknown, operation: string): void {
    if (!redisDown) log.warn({ err: error, operation }, 'Redis unavailable: seat map served from Postgres');
    redisDown = true;
  }

  // Events whose write-through failed: reconciled as soon as Redis answers again (any command, or the
  // client's reconnect), not only when their `fresh` TTL runs out.
  const missed = new Set<string>();

  function redisAnswered(): void {
    if (redisDown) log.info('Redis answers again: seat map served from Redis');
    redisDown = false;
    if (missed.size > 0) repairMissed();
  }

  function repairMissed(): void {
    for (const eventId of missed) {
      missed.delete(eventId);
      // Whoever reads the event next (any process) reconciles it, and this process starts at once.
      void redis.del(keys(eventId).fresh).catch(() => missed.add(eventId));
      reconcileInBackground(eventId);
    }
  }
  redis.on('ready', () => {
    if (missed.size > 0) repairMissed();
  });

  async function run(
    script: (typeof scripts)[keyof typeof scripts],
    keyList: string[],
    args: (string | number)[],
  ): Promise<void> {
    try {
      await redis.evalsha(script.sha, keyList.length, ...keyList, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      await redis.eval(script.lua, keyList.length, ...keyList, ...args);
    }
  }

  async function writeChanges(eventId: string, changes: SeatChange[]): Promise<void> {
    const k = keys(eventId);
    for (let start = 0; start < changes.length; start += fillChunk) {
      const chunk = changes.slice(start, start + fillChunk);
      const keyList = [k.counts];
      const args: (string | number)[] = [];
      for (const change of chunk) {
        keyList.push(k.status(change.section), k.codes(change.section));
        args.push(change.seatId, change.section, change.version, statusCode[change.status]);
      }
      await run(scripts.apply, keyList, args);
    }
  }

  /** Writes committed transitions through to Redis. Never throws: the cache is not the judge. */
  async function applyChanges(changes: SeatChange[]): Promise<void> {
    const byEvent = new Map<string, SeatChange[]>();
    for (const change of changes) {
      const list = byEvent.get(change.eventId) ?? [];
      list.push(change);
      byEvent.set(change.eventId, list);
    }
    for (const [eventId, list] of byEvent) {
      try {
        await writeChanges(eventId, list);
        redisAnswered();
      } catch (error) {
        missed.add(eventId);
        redisFailed(error, 'apply');
      }
    }
  }

  /**
   * For callers that moved seats in their own transaction: writes the seats' committed state through.
   * It reads that state from Postgres, so the map gets the truth even if another transition overtook.
   */
  async function applyTransition(eventId: string, seatIds: string[], toStatus: SeatStatus): Promise<void> {
    if (seatIds.length === 0) return;
    const changes = await readSeatChanges(pool, eventId, seatIds);
    const overtaken = changes.filter((change) => change.status !== toStatus).length;
    if (overtaken > 0) log.debug({ eventId, overtaken, toStatus }, 'seats moved again since the transition');
    await applyChanges(changes);
  }

  interface Loaded {
    sections: SectionInfo[];
    seats: SeatRow[];
  }

  async function loadFromPostgres(eventId: string): Promise<Loaded | undefined> {
    const { rows } = await pool.query<{ section_id: string; name: string; price: string | number }>(
      'select section_id, name, price from sections where event_id = $1 order by position',
      [eventId],
    );
    if (rows.length === 0) return undefined;
    const seats = await readSeatRows(pool, eventId);
    return {
      sections: rows.map((row) => ({ id: row.section_id, name: row.name, price: Number(row.price) })),
      seats,
    };
  }

  async function writeFill(eventId: string, loaded: Loaded): Promise<void> {
    const k = keys(eventId);
    const layout = new Map<string, LayoutEntry[]>(loaded.sections.map((section) => [section.id, []]));
    for (const seat of loaded.seats)
      layout.get(seat.section)?.push([seat.id, seat.row, seat.number, seat.price]);
    const layoutFields: string[] = [];
    for (const [section, entries] of layout) layoutFields.push(section, JSON.stringify(entries));
    await redis.hset(k.layout, ...layoutFields);
    const bySection = new Map<string, SeatRow[]>(loaded.sections.map((section) => [section.id, []]));
    for (const seat of loaded.seats) bySection.get(seat.section)?.push(seat);
    for (const [section, seats] of bySection) {
      for (let start = 0; start < seats.length; start += fillChunk) {
        const args: (string | number)[] = [section, start];
        for (const seat of seats.slice(start, start + fillChunk)) {
          args.push(seat.id, seat.version, statusCode[seat.status]);
        }
        await run(scripts.fill, [k.counts, k.status(section), k.codes(section)], args);
      }
    }
    // Last: from here on readers trust the map.
    await redis
      .multi()
      .set(k.sections, JSON.stringify(loaded.sections))
      .set(k.fresh, '1', 'EX', freshSeconds)
      .del(k.filling)
      .exec();
  }

  async function tryLock(eventId: string): Promise<boolean> {
    return (await redis.set(keys(eventId).filling, '1', 'PX', fillLockMs, 'NX')) === 'OK';
  }

  // Concurrent cold reads of one event in this process share one load from Postgres.
  const loading = new Map<string, Promise<Loaded | undefined>>();
  function loadShared(eventId: string): Promise<Loaded | undefined> {
    const pending = loading.get(eventId) ?? loadFromPostgres(eventId);
    loading.set(eventId, pending);
    return pending.finally(() => loading.delete(eventId));
  }

  /**
   * Loads an event's seats from Postgres and, unless another process is already at it, writes them
   * into Redis. Returns what it loaded (undefined: no such event); a Redis failure only skips the write.
   */
  async function fill(eventId: string): Promise<Loaded | undefined> {
    const loaded = await loadShared(eventId);
    if (!loaded) return undefined;
    try {
      if (await tryLock(eventId)) await writeFill(eventId, loaded);
      redisAnswered();
    } catch (error) {
      redisFailed(error, 'fill');
    }
    return loaded;
  }

  /** A stale map is still served; one process at a time, and once per process, reloads it. */
  const reconciling = new Set<string>();
  function reconcileInBackground(eventId: string): void {
    if (reconciling.has(eventId)) return;
    reconciling.add(eventId);
    const reconcile = async () => {
      if (!(await tryLock(eventId))) return;
      const loaded = await loadFromPostgres(eventId);
      if (loaded) await writeFill(eventId, loaded);
    };
    void reconcile()
      .catch((error: unknown) => log.warn({ err: error, eventId }, 'seat map reconcile failed'))
      .finally(() => reconciling.delete(eventId));
  }

  function unwrap<T extends unknown[]>(results: [Error | null, unknown][] | null): T {
    return (results ?? []).map(([error, value]) => {
      if (error) throw error;
      return value;
    }) as T;
  }

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

  async function readCached(eventId: string, section?: string): Promise<SeatMapView | undefined> {
    const k = keys(eventId);
    if (section !== undefined) {
      // One round trip: the section's status letters, and its layout unless this process has it.
      const known = layouts.get(layoutKey(eventId, section));
      const multi = redis.multi().get(k.sections).exists(k.fresh).get(k.codes(section));
      if (!known) multi.hget(k.layout, section);
      const [sectionsJson, fresh, codes, layoutJson] = unwrap<
        [string | null, number, string | null, string | null]
      >(await multi.exec());
      if (!sectionsJson) return undefined;
      if (fresh === 0) reconcileInBackground(eventId);
      const layout = known ?? rememberLayout(eventId, section, layoutJson ?? null);
      return { eventId, seats: seatsOf(section, layout, codes) };
    }
    const [sectionsJson, fresh] = unwrap<[string | null, number]>(
      await redis.multi().get(k.sections).exists(k.fresh).exec(),
    );
    if (!sectionsJson) return undefined;
    if (fresh === 0) reconcileInBackground(eventId);
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

  async function availabilityCached(eventId: string): Promise<AvailabilityView | undefined> {
    const k = keys(eventId);
    const [sectionsJson, fresh, counts] = unwrap<[string | null, number, Record<string, string>]>(
      await redis.multi().get(k.sections).exists(k.fresh).hgetall(k.counts).exec(),
    );
    if (!sectionsJson) return undefined;
    if (fresh === 0) reconcileInBackground(eventId);
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

  function viewOf(eventId: string, loaded: Loaded, section?: string): SeatMapView {
    return {
      eventId,
      seats: loaded.seats
        .filter((seat) => section === undefined || seat.section === section)
        .map(({ version: _version, ...seat }) => seat),
    };
  }

  function countsOf(eventId: string, loaded: Loaded): AvailabilityView {
    const bySection = new Map(
      loaded.sections.map((info) => [info.id, { ...info, available: 0, held: 0, sold: 0 }]),
    );
    for (const seat of loaded.seats) {
      const counts = bySection.get(seat.section);
      if (counts) counts[seat.status] += 1;
    }
    return { eventId, sections: [...bySection.values()] };
  }

  async function readFromPostgres(eventId: string, section?: string): Promise<SeatMapView | undefined> {
    const { rowCount } = await pool.query('select 1 from events where id = $1', [eventId]);
    if (!rowCount) return undefined;
    const seats = await readSeatRows(pool, eventId, section);
    return { eventId, seats: seats.map(({ version: _version, ...seat }) => seat) };
  }

  async function availabilityFromPostgres(eventId: string): Promise<AvailabilityView | undefined> {
    const sections = await countSeats(pool, eventId);
    return sections.length === 0 ? undefined : { eventId, sections };
  }

  return {
    applyChanges,
    applyTransition,
    fill,

    /** The seat map of an event (or one section); undefined when the event does not exist. */
    async read(eventId: string, section?: string): Promise<SeatMapView | undefined> {
      try {
        const cached = await readCached(eventId, section);
        redisAnswered();
        if (cached) return cached;
      } catch (error) {
        redisFailed(error, 'read');
        return readFromPostgres(eventId, section);
      }
      const loaded = await fill(eventId);
      return loaded && viewOf(eventId, loaded, section);
    },

    /** Available/held/sold counts per section; undefined when the event does not exist. */
    async availability(eventId: string): Promise<AvailabilityView | undefined> {
      try {
        const cached = await availabilityCached(eventId);
        redisAnswered();
        if (cached) return cached;
      } catch (error) {
        redisFailed(error, 'availability');
        return availabilityFromPostgres(eventId);
      }
      const loaded = await fill(eventId);
      return loaded && countsOf(eventId, loaded);
    },

    /** Seats among `seatIds` the map shows held or sold; undefined when the cache can't answer. */
    async unavailableAmong(eventId: string, seatIds: string[]): Promise<string[] | undefined> {
      const k = keys(eventId);
      const bySection = new Map<string, string[]>();
      for (const seatId of seatIds) {
        const section = sectionOfSeat(seatId);
        if (section === undefined) continue;
        const list = bySection.get(section) ?? [];
        list.push(seatId);
        bySection.set(section, list);
      }
      try {
        const pipeline = redis.pipeline().exists(k.sections);
        for (const [section, ids] of bySection) pipeline.hmget(k.status(section), ...ids);
        const results = (await pipeline.exec()) ?? [];
        redisAnswered();
        if (results.some(([error]) => error) || results[0]?.[1] !== 1) return undefined;
        const taken: string[] = [];
        [...bySection.values()].forEach((ids, index) => {
          const values = results[index + 1]?.[1] as (string | null)[];
          ids.forEach((id, i) => {
            const status = parseStatus(values[i])?.status;
            if (status === 'held' || status === 'sold') taken.push(id);
          });
        });
        return taken;
      } catch (error) {
        redisFailed(error, 'unavailableAmong');
        return undefined;
      }
    },

    /** Available seats in a section; undefined when the cache can't answer (cold, unknown section, down). */
    async availableCount(eventId: string, sectionId: string): Promise<number | undefined> {
      const k = keys(eventId);
      try {
        const results =
          (await redis
            .pipeline()
            .exists(k.sections)
            .hexists(k.layout, sectionId)
            .hget(k.counts, `${sectionId}:a`)
            .exec()) ?? [];
        redisAnswered();
        if (results.some(([error]) => error)) return undefined;
        if (results[0]?.[1] !== 1 || results[1]?.[1] !== 1) return undefined;
        return Number(results[2]?.[1] ?? 0);
      } catch (error) {
        redisFailed(error, 'availableCount');
        return undefined;
      }
    },

    /** Redis only, for tests and benchmarks: undefined when the map is not cached. */
    cached: { read: readCached, availability: availabilityCached },
    /** Postgres only, for tests and benchmarks. */
    fromPostgres: { read: readFromPostgres, availability: availabilityFromPostgres },
  };
}

export type SeatMap = ReturnType<typeof createSeatMap>;
