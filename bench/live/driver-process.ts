// Owns the live benchmark's checkout process: it drives the seat transitions (driver.ts) on its own
// Postgres pool, Redis client and seat map, as the worker does, so the commits keep their rate whatever
// the API process is busy with; told what to drive by its parent (IPC), it answers with the commits.
import { createSeatMap } from '../../src/inventory/seat-map';
import { createPool } from '../../src/platform/db';
import { createLogger } from '../../src/platform/logger';
import { createRedis } from '../../src/platform/redis';
import { type Commits, driveTransitions } from './driver';

export interface ToDriver {
  type: 'drive';
  databaseUrl: string;
  redisUrl: string;
  eventId: string;
  seatIds: string[];
  rate: number;
  transitions: number;
}

export type FromDriver = { type: 'driven'; commits: Commits } | { type: 'failed'; message: string };

async function drive(message: ToDriver): Promise<Commits> {
  const pool = createPool(message.databaseUrl, 4);
  const redis = createRedis(message.redisUrl);
  try {
    const seatMap = createSeatMap({ pool, redis, log: createLogger('warn', 'bench-live-driver') });
    return await driveTransitions({ pool, seatMap, ...message });
  } finally {
    redis.disconnect();
    await pool.end();
  }
}

process.on('message', (message: ToDriver) => {
  drive(message)
    .then((commits) => {
      process.send?.({ type: 'driven', commits } satisfies FromDriver, () => process.disconnect());
    })
    .catch((error: unknown) => {
      process.send?.({
        type: 'failed',
        message: (error as Error).stack ?? String(error),
      } satisfies FromDriver);
      process.exit(1);
    });
});
