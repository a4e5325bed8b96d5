// Owns fast rejection: a hold for seats the cached seat map already shows as taken is answered 409
// without starting a workflow. Advisory only: Postgres, inside the workflow's hold, stays the judge.

import { reservationIdFor } from '../src/checkout/reservation-id';
import { DomainError } from '../src/errors';
import type { Redis } from '../src/platform/redis';
import type { SeatRequest } from '../workflows/reservation/contract';
import type { ApiMetrics } from './metrics';

export interface SeatAvailabilityCache {
  /** Seats among `seatIds` the cache shows as held or sold; undefined when the cache can't answer. */
  unavailableAmong(eventId: string, seatIds: string[]): Promise<string[] | undefined>;
  /** Available seats in a section; undefined when the cache can't answer. */
  availableCount(eventId: string, sectionId: string): Promise<number | undefined>;
}

const attemptTtlSeconds = 24 * 3600;

export function createFastRejection(
  redis: Redis,
  cache: SeatAvailabilityCache,
  metrics?: Pick<ApiMetrics, 'fastRejections' | 'redisFailOpen'>,
) {
  // Without Redis nothing is marked or known: the request goes on to the workflow, which decides.
  const failedOpen = () => metrics?.redisFailOpen.inc({ component: 'fast_rejection' });

  const attemptKey = (input: { buyerId: string; idempotencyKey: string }) =>
    `reservation-attempt:${reservationIdFor(input.buyerId, input.idempotencyKey)}`;

  // Every request that goes on to the workflow is marked first, so a retry of a winning request is
  // never fast-rejected because of the seats its own first attempt now holds.
  async function markAttempted(key: string): Promise<void> {
    await redis.set(key, '1', 'EX', attemptTtlSeconds).catch(failedOpen);
  }

  async function wasAttempted(key: string): Promise<boolean> {
    const exists = await redis.exists(key).catch(() => {
      failedOpen();
      return 1;
    });
    return exists === 1;
  }

  return {
    async check(input: {
      eventId: string;
      buyerId: string;
      idempotencyKey: string;
      request: SeatRequest;
    }): Promise<void> {
      const { eventId, request } = input;
      const key = attemptKey(input);
      if ('seatIds' in request) {
        const taken = await cache.unavailableAmong(eventId, request.seatIds);
        if (taken?.length && !(await wasAttempted(key))) {
          metrics?.fastRejections.inc({ request: 'seats' });
          throw new DomainError('SEATS_UNAVAILABLE', `seats already taken: ${taken.join(', ')}`, {
            unavailableSeatIds: taken,
          });
        }
      } else {
        const available = await cache.availableCount(eventId, request.section);
        if (available !== undefined && available < request.quantity && !(await wasAttempted(key))) {
          metrics?.fastRejections.inc({ request: 'section' });
          throw new DomainError(
            'SEATS_UNAVAILABLE',
            `only ${available} seats left in section ${request.section}`,
            {
              unavailableSeatIds: [],
              available,
            },
          );
        }
      }
      await markAttempted(key);
    },
  };
}

export type FastRejection = ReturnType<typeof createFastRejection>;
