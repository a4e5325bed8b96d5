// Owns the waiting room as the API uses it: the queue service (src/waiting-room/queue.ts) on this
// process's Redis and keys, with the room's published state cached briefly, and the hold's admission
// check, which fails open when Redis is down (Postgres still guards every seat).

import type { Context } from 'hono';
import type { EventRecord } from '../src/inventory/events';
import type { Config } from '../src/platform/config';
import type { Redis } from '../src/platform/redis';
import { createTtlCache } from '../src/platform/ttl-cache';
import { createAbuseRecords } from '../src/waiting-room/abuse';
import { type Buyer, createWaitingRoom } from '../src/waiting-room/queue';
import type { RoomState } from '../src/waiting-room/room-state';
import { keyRing } from '../src/waiting-room/signed-tokens';
import { createRoomStore } from '../src/waiting-room/store';
import { addressSet, type ClientAddressVariables, clientAddress, inSet } from './client-address';
import type { AppEnv } from './env';
import type { ApiMetrics, RoomGauge } from './metrics';

/**
 * How stale the room's state may be in this process: well under the controller's tick (2 s), and one
 * Redis read per event per quarter second however many buyers attempt.
 */
const roomStateTtlMs = 250;

export function createApiWaitingRoom(deps: {
  redis: Redis;
  config: Pick<Config, 'waitingRoom' | 'rateLimits'>;
  metrics: Pick<ApiMetrics, 'redisFailOpen'>;
}) {
  const store = createRoomStore(deps.redis);
  const abuse = createAbuseRecords(deps.redis, { sampleRate: deps.config.waitingRoom.sampleRate });
  // The rooms this process served lately, for the metrics' gauges.
  const seen = new Map<string, number>();
  const roomStates = createTtlCache<RoomState | undefined>(
    (eventId) => {
      seen.set(eventId, Date.now());
      return store.readRoom(eventId);
    },
    { ttlMs: roomStateTtlMs, maxEntries: 10_000 },
  );
  const room = createWaitingRoom({
    ring: keyRing(deps.config.waitingRoom.keys),
    store,
    abuse,

    roomState: (eventId) => roomStates.get(eventId),
  });

  const exempt = addressSet(deps.config.rateLimits.ipAllowlist);
  return {
    ...room,
    store,
    abuse,

    /** The buyer a request comes from, and whether their address may be flagged (not an exempt one). */
    buyerOf(c: Context<AppEnv>): Buyer {
      // Flags count under the address's key (an IPv6 /64); the exemption is of the address itself.
      const address = (c.var as ClientAddressVariables).clientAddress;
      const flaggable = address !== undefined && !inSet(exempt, address);
      return { buyerId: c.get('principal').userId, ip: clientAddress(c), flaggable };
    },

    /** Active sessions and tau of each room this process served in the last ten minutes. */
    async recentRooms(): Promise<RoomGauge[]> {
      const nowMs = Date.now();
      for (const [eventId, at] of seen) if (at < nowMs - 600_000) seen.delete(eventId);
      return Promise.all(
        [...seen.keys()].map(async (eventId) => {
          const { room, activeSessions } = await store.figures(eventId, nowMs);
          return { eventId, activeSessions, tau: room?.tau ?? null };
        }),
      );
    },

    /**
     * For a hold on `event`: nothing when it has no enabled room; otherwise the session the buyer's
     * Admission-Token opened, or 403 ADMISSION_REQUIRED. Returns what to do once the hold is taken.
     */
    async admitHold(
      event: Pick<EventRecord, 'id' | 'salesOpenAt' | 'waitingRoom'>,
      buyer: Buyer,
      token?: string,
    ) {
      if (!event.waitingRoom?.enabled) return undefined;
      const admission = await room.admissionOf(event, buyer, token);
      let live: boolean;
      try {
        live = await admission.isLive();
      } catch {
        deps.metrics.redisFailOpen.inc({ component: 'waiting_room' });
        live = true;
      }
      if (!live) throw admission.refuseEnded();
      return {
        /** The session now belongs to this checkout: it ends when the checkout finishes. */
        held: (reservationId: string) =>
          store.attachReservation(event.id, admission.sessionId, reservationId).catch(() => {
            deps.metrics.redisFailOpen.inc({ component: 'waiting_room' });
          }),
      };
    },
  };
}

export type ApiWaitingRoom = ReturnType<typeof createApiWaitingRoom>;
