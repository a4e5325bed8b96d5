// Owns abuse limiting: a fixed-window counter per buyer in Redis. It fails open: with Redis down the
// API keeps selling (Postgres still enforces every invariant), it just stops limiting.
import { DomainError } from '../src/errors';
import type { Redis } from '../src/platform/redis';
import type { ApiMetrics } from './metrics';

export interface BuyerRateLimitOptions {
  /** Requests allowed per buyer per window. */
  limit: number;
  windowSeconds: number;
}

export function createBuyerRateLimit(
  redis: Redis,
  metrics?: Pick<ApiMetrics, 'rateLimited' | 'redisFailOpen'>,
  options: BuyerRateLimitOptions = { limit: 30, windowSeconds: 10 },
) {
  return {
    async check(buyerId: string): Promise<void> {
      const window = Math.floor(Date.now() / 1000 / options.windowSeconds);
      const key = `rate:reservations:${buyerId}:${window}`;
      let count: number;
      try {
        const [[, incremented]] = (await redis
          .multi()
          .incr(key)
          .expire(key, options.windowSeconds * 2)
          .exec()) as [[Error | null, number]];
        count = incremented;
      } catch {
        metrics?.redisFailOpen.inc({ component: 'rate_limit' });
        return;
      }
      if (count > options.limit) {
        metrics?.rateLimited.inc({ limit: 'reservations_per_buyer' });
        throw new DomainError(
          'RATE_LIMITED',
          `at most ${options.limit} reservation requests per ${options.windowSeconds} s`,
          {
            retryAfterSeconds: options.windowSeconds,
          },
        );
      }
    },
  };
}

export type BuyerRateLimit = ReturnType<typeof createBuyerRateLimit>;
