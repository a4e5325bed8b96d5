// Owns the inventory activities the checkout workflow calls: hold, commit, release and extend. Each is
// idempotent, so Temporal may retry it, and writes the seat map through after Postgres commits.

import { createSeatMap, type SeatMap } from '../src/inventory/seat-map';
import {
  type ExtendHoldInput,
  extendHoldTx,
  type HoldInput,
  type HoldResult,
  holdSeatsTx,
  type ReleaseInput,
  releaseSeatsTx,
  type SeatRequest,
} from '../src/inventory/seats';
import type { Pool } from '../src/platform/db';
import type { Logger } from '../src/platform/logger';
import type { Redis } from '../src/platform/redis';
import { withDomainFailures } from './failures';

export type { HoldResult, SeatRequest };

export interface InventoryActivityDeps {
  pool: Pool;
  redis: Redis;
  log: Logger;
  /** Shared with other activities of the process; built from pool, redis and log when absent. */
  seatMap?: SeatMap;
}

export function createInventoryActivities(deps: InventoryActivityDeps) {
  const seatMap = deps.seatMap ?? createSeatMap(deps);

  return withDomainFailures({
    /**
     * Holds the requested seats for the reservation, all or none; a repeat returns the seats it holds.
     * Rejections: SEATS_UNAVAILABLE, BUYER_LIMIT_EXCEEDED, SALES_NOT_OPEN, EVENT_NOT_FOUND,
     * UNKNOWN_SEATS, VALIDATION_FAILED.
     */
    async holdSeats(input: HoldInput): Promise<HoldResult> {
      const { changes, repeat: _repeat, ...hold } = await holdSeatsTx(deps.pool, input);
      // A repeat writes the same versions again, which also repairs a write-through a crash cut short.
      await seatMap.applyChanges(changes);
      return hold;
    },

    /** held -> available for the reservation's seats; a repeat releases nothing more. */
    async releaseSeats(input: ReleaseInput): Promise<{ seatIds: string[] }> {
      const { seatIds, changes } = await releaseSeatsTx(deps.pool, input);
      await seatMap.applyChanges(changes);
      if (seatIds.length > 0) {
        deps.log.info(
          { reservationId: input.reservationId, seats: seatIds.length, reason: input.reason },
          'released',
        );
      }
      return { seatIds };
    },

    /** Moves held_until of the reservation's held seats; the workflow's timer stays the authority. */
    async extendHold(input: ExtendHoldInput): Promise<{ seatIds: string[] }> {
      return extendHoldTx(deps.pool, input);
    },
  });
}

export type InventoryActivities = ReturnType<typeof createInventoryActivities>;
