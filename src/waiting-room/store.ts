// Owns the waiting room's state in Redis: the published room state, the live sessions and who holds them,
// the admissions and consumed queue tokens, and the counts the controller steers by. Waiting buyers have
// no entry: they carry their place in their queue token.
import { readFileSync } from 'node:fs';
import type { Redis } from '../platform/redis';
import { evalScript, redisScript } from '../platform/redis-script';
import { roomKeys as keys } from './keys';
import type { RoomState } from './room-state';

const admitScript = redisScript(readFileSync(new URL('./admit.lua', import.meta.url), 'utf8'));

/** An admission record outlives any onsale: a buyer gets one per event. */
const admissionRecordSeconds = 30 * 86_400;

export type AdmitOutcome =
  | { outcome: 'admitted' | 'live'; sessionId: string; expiresAtMs: number }
  | { outcome: 'ended' | 'used' | 'full' };

export interface AdmitRequest {
  eventId: string;
  buyerId: string;
  /** The queue token being spent: consumed once. */
  tokenId: string;
  tokenExpiresAtMs: number;
  sessionId: string;
  sessionSeconds: number;
  sessionCap: number;
  nowMs: number;
}

export function createRoomStore(redis: Redis) {
  return {
    async readRoom(eventId: string): Promise<RoomState | undefined> {
      const text = await redis.get(keys.room(eventId));
      return text ? (JSON.parse(text) as RoomState) : undefined;
    },

    async publishRoom(eventId: string, state: RoomState): Promise<void> {
      // Kept a day past the last publication: a room nobody steers any more is read as absent.
      await redis.set(keys.room(eventId), JSON.stringify(state), 'EX', 86_400);
    },

    async admit(request: AdmitRequest): Promise<AdmitOutcome> {
      const { eventId, nowMs } = request;
      const expiresAtMs = nowMs + request.sessionSeconds * 1000;
      const [outcome, sessionId, expiry] = await evalScript<[string, string?, string?]>(
        redis,
        admitScript,
        [
          keys.sessions(eventId),
          keys.admission(eventId, request.buyerId),
          keys.consumed(eventId, request.tokenId),
          keys.admittedTotal(eventId),
        ],
        [
          nowMs,
          request.sessionCap,
          request.sessionId,
          expiresAtMs,
          Math.max(1, Math.ceil((request.tokenExpiresAtMs - nowMs) / 1000)),
          admissionRecordSeconds,
        ],
      );
      if (outcome === 'admitted') return { outcome, sessionId: request.sessionId, expiresAtMs };
      if (outcome === 'live') return { outcome, sessionId: sessionId as string, expiresAtMs: Number(expiry) };
      return { outcome: outcome as 'ended' | 'used' | 'full' };
    },

    /** Whether an admission's session still runs: not expired, and its checkout not finished. */
    async isLive(eventId: string, sessionId: string, nowMs: number): Promise<boolean> {
      const expiry = await redis.zscore(keys.sessions(eventId), sessionId);
      return expiry !== null && Number(expiry) > nowMs;
    },

    /** The session's buyer now holds `reservationId`: the session ends when that checkout does. */
    async attachReservation(eventId: string, sessionId: string, reservationId: string): Promise<void> {
      await redis.hset(keys.sessionReservations(eventId), sessionId, reservationId);
    },

    /** Live sessions with the reservation each one's buyer holds last. */
    async sessionReservations(eventId: string): Promise<Map<string, string>> {
      return new Map(Object.entries(await redis.hgetall(keys.sessionReservations(eventId))));
    },

    async endSessions(eventId: string, sessionIds: string[]): Promise<void> {
      if (sessionIds.length === 0) return;
      await redis
        .multi()
        .zrem(keys.sessions(eventId), ...sessionIds)
        .hdel(keys.sessionReservations(eventId), ...sessionIds)
        .exec();
    },

    /** Drops expired sessions (and their reservations' entries); returns how many are live. */
    async sweepExpired(eventId: string, nowMs: number): Promise<number> {
      const expired = await redis.zrangebyscore(keys.sessions(eventId), '-inf', nowMs);
      if (expired.length > 0) await this.endSessions(eventId, expired);
      return redis.zcard(keys.sessions(eventId));
    },

    async noteJoin(eventId: string, buyerId: string): Promise<void> {
      await redis.pfadd(keys.joined(eventId), buyerId);
    },

    /**
     * The room as published, its live sessions, admissions so far, and buyers who joined (approximately: a
     * HyperLogLog), in one round trip: what the status endpoint, the metrics and the controller read.
     */
    async figures(eventId: string, nowMs: number) {
      const replies = (await redis
        .multi()
        .get(keys.room(eventId))
        .zcount(keys.sessions(eventId), `(${nowMs}`, '+inf')
        .get(keys.admittedTotal(eventId))
        .pfcount(keys.joined(eventId))
        .exec()) as [Error | null, unknown][];
      for (const [error] of replies) if (error) throw error;
      const [room, active, admitted, joined] = replies.map(([, value]) => value);
      return {
        room: typeof room === 'string' ? (JSON.parse(room) as RoomState) : undefined,
        activeSessions: Number(active ?? 0),
        admittedTotal: Number(admitted ?? 0),
        joined: Number(joined ?? 0),
      };
    },
  };
}

export type RoomStore = ReturnType<typeof createRoomStore>;
