// Owns the onsale workflow's side effects (local activities, short and idempotent): measuring the
// checkout path for the controller, ending the sessions whose checkout finished, and publishing the
// room's state for the API.
import { readCheckoutHealth } from '../src/checkout/health';
import { countSeats } from '../src/inventory/seat-map/postgres';
import type { Config } from '../src/platform/config';
import type { Pool } from '../src/platform/db';
import type { Redis } from '../src/platform/redis';
import type { RoomState } from '../src/waiting-room/room-state';
import { createRoomStore } from '../src/waiting-room/store';
import type { OnsaleMeasurement } from '../workflows/onsale/contract';

/** A reservation in one of these has finished its checkout: its buyer's session ends. */
const finished = ['CONFIRMED', 'EXPIRED', 'CANCELLED', 'RELEASED', 'FAILED'];

export function createOnsaleActivities(deps: {
  pool: Pool;
  redis: Redis;
  config: Pick<Config, 'holdGraceSeconds'>;
}) {
  const store = createRoomStore(deps.redis);

  /** Ends the sessions whose reservation has finished; returns how many. */
  async function endFinishedSessions(eventId: string): Promise<number> {
    const bySession = await store.sessionReservations(eventId);
    if (bySession.size === 0) return 0;
    const { rows } = await deps.pool.query<{ id: string }>(
      'select id from reservations where id = any($1) and status = any($2)',
      [[...bySession.values()], finished],
    );
    const done = new Set(rows.map((row) => row.id));
    const ended = [...bySession].filter(([, reservationId]) => done.has(reservationId)).map(([sid]) => sid);
    await store.endSessions(eventId, ended);
    return ended.length;
  }

  return {
    async measureOnsale({ eventId }: { eventId: string }): Promise<OnsaleMeasurement> {
      const nowMs = Date.now();
      const endedSessions = await endFinishedSessions(eventId);
      const activeSessions = await store.sweepExpired(eventId, nowMs);
      const [counts, sections, health] = await Promise.all([
        store.figures(eventId, nowMs),
        countSeats(deps.pool, eventId, deps.config.holdGraceSeconds),
        readCheckoutHealth(deps.redis, nowMs),
      ]);
      return {
        activeSessions,
        waiting: Math.max(0, counts.joined - counts.admittedTotal),
        availableSeats: sections.reduce((sum, section) => sum + section.available, 0),
        heldSeats: sections.reduce((sum, section) => sum + section.held, 0),
        admittedTotal: counts.admittedTotal,
        endedSessions,
        ...health,
      };
    },

    async publishRoom({ eventId, state }: { eventId: string; state: RoomState }): Promise<void> {
      await store.publishRoom(eventId, state);
    },
  };
}

export type OnsaleActivities = ReturnType<typeof createOnsaleActivities>;
