// Owns what the onsale workflow tells the API about an event's waiting room: its phase, pace (tau) and
// session cap. The workflow publishes it (activities/onsale.ts); the API reads it on every attempt.
// Pure types: the workflow bundle imports them.

/** SCHEDULED until salesOpenAt, OPEN while admitting, PAUSED by support, then SOLD_OUT or CLOSED. */
export const onsalePhases = ['SCHEDULED', 'OPEN', 'PAUSED', 'SOLD_OUT', 'CLOSED'] as const;
export type OnsalePhase = (typeof onsalePhases)[number];

export interface RoomState {
  phase: OnsalePhase;
  tau: number;
  /** Sessions allowed at once now: the target, shrunk while the checkout path is unhealthy. */
  sessionCap: number;
  maxActiveSessions: number;
  updatedAt: string;
}
