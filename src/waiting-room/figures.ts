// Owns the waiting room's figures in the organizer's sales view: whether it runs, its phase and pace, and
// how many buyers joined, were admitted and shop now.
import type { Queryable } from '../platform/db';
import type { Redis } from '../platform/redis';
import type { OnsalePhase } from './room-state';
import { createRoomStore } from './store';

export interface RoomFigures {
  enabled: boolean;
  /** As the onsale workflow last published it; null before its first publication. */
  phase: OnsalePhase | null;
  maxActiveSessions: number;
  activeSessions: number;
  admittedTotal: number;
  /** Distinct buyers who joined the queue (a HyperLogLog's estimate, within about 1%). */
  joined: number;
  tau: number | null;
}

/** The figures of an event's waiting room; null when the event has none. */
export async function roomFigures(q: Queryable, redis: Redis, eventId: string): Promise<RoomFigures | null> {
  const { rows } = await q.query<{ waiting_room: { enabled: boolean; maxActiveSessions: number } | null }>(
    'select waiting_room from events where id = $1',
    [eventId],
  );
  const settings = rows[0]?.waiting_room;
  if (!settings) return null;
  const counts = await createRoomStore(redis).figures(eventId, Date.now());
  const state = counts.room;
  return {
    enabled: settings.enabled,
    phase: state?.phase ?? null,
    maxActiveSessions: settings.maxActiveSessions,
    activeSessions: counts.activeSessions,
    admittedTotal: counts.admittedTotal,
    joined: counts.joined,
    tau: state?.tau ?? null,
  };
}
