// Owns the cached seat map for browsing: Redis hashes written through after every committed seat
// transition, filled from Postgres on a miss, and answered from Postgres whenever Redis is down.
// Postgres stays the judge of who owns a seat; this cache serves reads and the API's fast rejections.
// The keys and the version rule that makes writes commute are described in keys.ts.
import type { Config, LiveConfig } from '../../platform/config';
import type { Pool } from '../../platform/db';
import type { Logger } from '../../platform/logger';
import type { Redis } from '../../platform/redis';
import { evalScript } from '../../platform/redis-script';
import { graceOf, leaseLapsed } from '../lease';
import { readSeatChanges, type SeatChange, type SeatStatus } from '../seats';
import { createCachedReads } from './cached';
import { type LayoutEntry, parseStatus, seatMapKeys, sectionOfSeat, statusCode, statusOfCode } from './keys';
import { announceSales } from './live';
import {
  availabilityFromPostgres,
  countsOf,
  type Loaded,
  loadEvent,
  readFromPostgres,
  type SeatRow,
  viewOf,
} from './postgres';
import { scripts } from './scripts';
import type { AvailabilityView, SeatMapView, SeatPage, SeatSnapshot, SeatTransition } from './views';

export interface SeatMapDeps {
  pool: Pool;
  redis: Redis;
  log: Logger;
  /** How long a filled map is served before it is reconciled with Postgres again in the background. */
  freshSeconds?: number;
  /**
   * The hold lease's grace (HOLD_GRACE_SECONDS): a held seat this far past its lease shows available;
   * and how many transitions per event the live log keeps for resuming clients (LIVE_REPLAY_LOG).
   */
  config?: Pick<Config, 'holdGraceSeconds'> & { live?: Pick<LiveConfig, 'replayLog'> };
}

const fillChunk = 2000;
const fillLockMs = 30_000;
/** Transitions per event the live log keeps when the configuration does not say (LIVE_REPLAY_LOG). */
export const defaultReplayLog = 1000;

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
  const graceSeconds = graceOf({ graceSeconds: deps.config?.holdGraceSeconds });
  /** Leases that ended before this (epoch ms) have lapsed. */
  const lapsedBefore = () => Date.now() - graceSeconds * 1000;
  const replayLog = deps.config?.live?.replayLog ?? defaultReplayLog;
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
      void redis.del(seatMapKeys(eventId).fresh).catch(() => missed.add(eventId));
      reconcileInBackground(eventId);
    }
  }
  redis.on('ready', () => {
    if (missed.size > 0) repairMissed();
  });

  async function writeChanges(eventId: string, changes: SeatChange[]): Promise<void> {
    const k = seatMapKeys(eventId);
    for (let start = 0; start < changes.length; start += fillChunk) {
      const chunk = changes.slice(start, start + fillChunk);
      const keyList = [k.counts, k.leases, k.version, k.log];
      const args: (string | number)[] = [k.live, replayLog];
      for (const change of chunk) {
        keyList.push(k.status(change.section), k.codes(change.section));
        args.push(change.seatId, change.section, change.version, statusCode[change.status]);
        args.push(change.heldUntil ?? '');
      }
      await evalScript(redis, scripts.apply, keyList, args);
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

  async function writeFill(eventId: string, loaded: Loaded): Promise<void> {
    const k = seatMapKeys(eventId);
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
        const args: (string | number)[] = [k.live, replayLog, section, start];
        for (const seat of seats.slice(start, start + fillChunk)) {
          args.push(seat.id, seat.version, statusCode[seat.status], seat.heldUntil ?? '');
        }
        const keyList = [k.counts, k.status(section), k.codes(section), k.leases, k.version, k.log];
        await evalScript(redis, scripts.fill, keyList, args);
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
    return (await redis.set(seatMapKeys(eventId).filling, '1', 'PX', fillLockMs, 'NX')) === 'OK';
  }

  // Concurrent cold reads of one event in this process share one load from Postgres.
  const loading = new Map<string, Promise<Loaded | undefined>>();
  function loadShared(eventId: string): Promise<Loaded | undefined> {
    const pending = loading.get(eventId) ?? loadEvent(pool, eventId);
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
      const loaded = await loadEvent(pool, eventId);
      if (loaded) await writeFill(eventId, loaded);
    };
    void reconcile()
      .catch((error: unknown) => log.warn({ err: error, eventId }, 'seat map reconcile failed'))
      .finally(() => reconciling.delete(eventId));
  }

  const cached = createCachedReads(redis, reconcileInBackground, graceSeconds);
  const fromPostgres = {
    read: (eventId: string, section?: string, page?: SeatPage) =>
      readFromPostgres(pool, eventId, section, graceSeconds, page),
    availability: (eventId: string) => availabilityFromPostgres(pool, eventId, graceSeconds),
  };

  /**
   * The transitions after version `from`, read with the map's version in one transaction: all of them,
   * in version order, or undefined when the log can't tell (they were more than it keeps, a fill moved
   * the map without transitions, or `from` is newer than the map, whose data Redis lost). Throws when
   * Redis does not answer: a live client can't be served without it.
   */
  async function changesSince(
    eventId: string,
    from: number,
  ): Promise<{ version: number; transitions: SeatTransition[] } | undefined> {
    const k = seatMapKeys(eventId);
    const results = await redis
      .multi()
      .get(k.version)
      .xrange(k.log, `(0-${from}`, '+', 'COUNT', replayLog)
      .exec();
    const [[versionError, versionValue] = [], [logError, entries] = []] = results ?? [];
    if (versionError || logError) throw versionError ?? logError;
    const version = Number(versionValue ?? 0);
    if (from > version) return undefined;
    const transitions = ((entries ?? []) as [string, string[]][]).map(([entryId, fields]) => ({
      version: Number(entryId.slice(2)),
      id: fields[1] ?? '',
      status: statusOfCode[fields[3] ?? ''] ?? 'available',
    }));
    const unbroken = transitions.every((transition, index) => transition.version === from + index + 1);
    if (!unbroken || from + transitions.length !== version) return undefined;
    return { version, transitions };
  }

  return {
    applyChanges,
    applyTransition,
    fill,
    changesSince,

    /** Tells the live sales views that the event's figures moved where no seat did; never throws. */
    announceSales: (eventId: string) => announceSales(redis, eventId),

    /**
     * The map's version: it moves on every committed transition of a seat's status, so two reads at the
     * same version saw the same statuses. Undefined when Redis can't answer or the map has none yet.
     */
    async version(eventId: string): Promise<number | undefined> {
      try {
        const value = await redis.get(seatMapKeys(eventId).version);
        redisAnswered();
        return value === null ? undefined : Number(value);
      } catch (error) {
        redisFailed(error, 'version');
        return undefined;
      }
    },

    /**
     * Every seat's status (of one section, or all) at one version of the map, filling a cold map first;
     * undefined when there is no such event or the map is still being filled by another process. Throws
     * when Redis does not answer.
     */
    async snapshot(eventId: string, section?: string): Promise<SeatSnapshot | undefined> {
      const taken = await cached.snapshot(eventId, section);
      if (taken) return taken;
      if (!(await fill(eventId))) return undefined;
      return cached.snapshot(eventId, section);
    },

    /** The seat map of an event (or one section), or a page of it; undefined when the event does not exist. */
    async read(eventId: string, section?: string, page?: SeatPage): Promise<SeatMapView | undefined> {
      try {
        const view = await cached.read(eventId, section, page);
        redisAnswered();
        if (view) return view;
      } catch (error) {
        redisFailed(error, 'read');
        return fromPostgres.read(eventId, section, page);
      }
      const loaded = await fill(eventId);
      return loaded && viewOf(eventId, loaded, section, graceSeconds, page);
    },

    /** Available/held/sold counts per section; undefined when the event does not exist. */
    async availability(eventId: string): Promise<AvailabilityView | undefined> {
      try {
        const view = await cached.availability(eventId);
        redisAnswered();
        if (view) return view;
      } catch (error) {
        redisFailed(error, 'availability');
        return fromPostgres.availability(eventId);
      }
      const loaded = await fill(eventId);
      return loaded && countsOf(eventId, loaded, graceSeconds);
    },

    /**
     * Seats among `seatIds` the map shows held (on a live lease) or sold; undefined when the cache
     * can't answer.
     */
    async unavailableAmong(eventId: string, seatIds: string[]): Promise<string[] | undefined> {
      const k = seatMapKeys(eventId);
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
        const asked = [...bySection.values()].flat();
        if (asked.length > 0) pipeline.zmscore(k.leases, ...asked);
        const results = (await pipeline.exec()) ?? [];
        redisAnswered();
        if (results.some(([error]) => error) || results[0]?.[1] !== 1) return undefined;
        const scores = (results[bySection.size + 1]?.[1] ?? []) as (string | null)[];
        const leases = new Map(asked.map((id, i) => [id, scores[i] ?? null]));
        const taken: string[] = [];
        [...bySection.values()].forEach((ids, index) => {
          const values = results[index + 1]?.[1] as (string | null)[];
          ids.forEach((id, i) => {
            const status = parseStatus(values[i])?.status;
            const lease = leases.get(id);
            if (status === 'held' && leaseLapsed(lease == null ? null : Number(lease), graceSeconds)) return;
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
      const k = seatMapKeys(eventId);
      try {
        const results =
          (await redis
            .pipeline()
            .exists(k.sections)
            .hexists(k.layout, sectionId)
            .hget(k.counts, `${sectionId}:a`)
            .zrangebyscore(k.leases, '-inf', `(${lapsedBefore()}`)
            .exec()) ?? [];
        redisAnswered();
        if (results.some(([error]) => error)) return undefined;
        if (results[0]?.[1] !== 1 || results[1]?.[1] !== 1) return undefined;
        const lapsed = ((results[3]?.[1] ?? []) as string[]).filter((id) => sectionOfSeat(id) === sectionId);
        return Number(results[2]?.[1] ?? 0) + lapsed.length;
      } catch (error) {
        redisFailed(error, 'availableCount');
        return undefined;
      }
    },

    /** Redis only, for tests and benchmarks: undefined when the map is not cached. */
    cached,
    /** Postgres only, for tests and benchmarks. */
    fromPostgres,
  };
}

export type SeatMap = ReturnType<typeof createSeatMap>;
