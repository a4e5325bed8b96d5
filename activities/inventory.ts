// Owns the inventory activities the checkout workflow calls: hold, release, and moving the hold's lease
// (support's extension, the workflow's deadline). Each is idempotent, so Temporal may retry it, and
// writes the seat map through after Postgres commits.

import { type MoveLeaseInput, moveLeaseTx } from '../src/inventory/lease';
import { createSeatMap, type SeatMap } from '../src/inventory/seat-map';
import type { SeatRequest } from '../src/inventory/seat-request';
import {
  type HoldInput,
  type HoldResult,
  holdSeatsTx,
  type ReleaseInput,
  releaseSeatsTx,
} from '../src/inventory/seats';
import type { Config } from '../src/platform/config';
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
  /** The lease's grace (HOLD_GRACE_SECONDS); the configuration's default when absent. */
  config?: Pick<Config, 'holdGraceSeconds'>;
}

export function createInventoryActivities(deps: InventoryActivityDeps) {
  const seatMap = deps.seatMap ?? createSeatMap(deps);
  const lease = { graceSeconds: deps.config?.holdGraceSeconds };

  /** Moves the lease of the reservation's held seats, in Postgres and in the seat map. */
  async function moveLease(input: MoveLeaseInput): Promise<{ seatIds: string[] }> {
    const { seatIds, changes } = await moveLeaseTx(deps.pool, input, lease);
    await seatMap.applyChanges(changes);
    return { seatIds };
  }

  return withDomainFailures({
    /**
     * Holds the requested seats for the reservation, all or none; a repeat returns the seats it holds.
     * Rejections: SEATS_UNAVAILABLE, BUYER_LIMIT_EXCEEDED, SALES_NOT_OPEN, EVENT_NOT_FOUND,
     * UNKNOWN_SEATS, VALIDATION_FAILED.
     */
    async holdSeats(input: HoldInput): Promise<HoldResult> {
      const { changes, repeat: _repeat, ...hold } = await holdSeatsTx(deps.pool, input, lease);
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

    /** Support's extension: moves the seats' lease to the workflow's new deadline. */
    extendHold: moveLease,

    /**
     * Keeps the seats' lease in step with the workflow's deadline (the payment window, the retry grace
     * after a decline). The workflow's timer decides expiry; the lease is the backstop if it vanishes.
     */
    syncLease: moveLease,
  });
}

export type InventoryActivities = ReturnType<typeof createInventoryActivities>;
