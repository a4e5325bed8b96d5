// Owns the API process's live side, built once per app: the one Redis subscription (feed), the views
// derived from it per event (availability counts, sales figures), and the admission of live streams up
// to the process's cap, each with its heartbeat timer. `stats()` shows that a stream that ended left
// nothing behind.
import { type SalesView, salesView } from '../finance/sales';
import type { AvailabilityView, SeatMap } from '../inventory/seat-map';
import type { LiveConfig } from '../platform/config';
import type { Pool } from '../platform/db';
import type { Logger } from '../platform/logger';
import type { Redis } from '../platform/redis';
import { type RoomFigures, roomFigures } from '../waiting-room/figures';
import { createLiveFeed, type FeedStats, type LiveFeed } from './feed';
import { createViewFeed, type ViewFeed } from './views';

export { openSeatStream, type SeatStream, type StreamEnd, sseText } from './seat-stream';

export interface LiveDeps {
  config: { live: LiveConfig; holdGraceSeconds: number };
  pool: Pool;
  redis: Redis;
  seatMap: SeatMap;
  log: Logger;
}

/** A stream admitted under the cap: its heartbeat, and `release` when it ends (idempotent). */
export interface Admission {
  heartbeat(beat: () => void): void;
  release(): void;
}

export interface LiveStats {
  /** Streams open now (seat map and sales). */
  streams: number;
  heartbeats: number;
  feed: FeedStats;
  availability: ReturnType<ViewFeed<unknown>['stats']>;
  sales: ReturnType<ViewFeed<unknown>['stats']>;
}

/** The organizer's view: the sales from Postgres and the waiting room's figures (null without one). */
export type SalesWithRoom = SalesView & { waitingRoom: RoomFigures | null };

export interface Live {
  feed: LiveFeed;
  availability: ViewFeed<AvailabilityView>;
  sales: ViewFeed<SalesWithRoom>;
  /** The organizer's view of an event now; undefined when there is no such event. */
  salesOf(eventId: string): Promise<SalesWithRoom | undefined>;
  /** A slot for one more stream, or undefined when the process serves its cap already. */
  admit(): Admission | undefined;
  stats(): LiveStats;
}

export function createLive(deps: LiveDeps): Live {
  const { live: options, holdGraceSeconds } = deps.config;
  const feed = createLiveFeed(deps);
  const availability = createViewFeed<AvailabilityView>({
    feed,
    log: deps.log,
    movedBy: (message) => message.type !== 'sales',
    compute: (eventId) => deps.seatMap.availability(eventId),
    intervalMs: options.pushIntervalMs,
  });
  async function salesOf(eventId: string): Promise<SalesWithRoom | undefined> {
    const [view, waitingRoom] = await Promise.all([
      salesView(deps.pool, eventId, holdGraceSeconds),
      roomFigures(deps.pool, deps.redis, eventId),
    ]);
    return view && { ...view, waitingRoom };
  }
  // Every message may move the figures: a seat, a resync, or a notice of a decline or a refund.
  const sales = createViewFeed<SalesWithRoom>({
    feed,
    log: deps.log,
    movedBy: () => true,
    compute: salesOf,
    intervalMs: options.pushIntervalMs,
  });
  let streams = 0;
  const heartbeats = new Set<NodeJS.Timeout>();

  return {
    feed,
    availability,
    sales,
    salesOf,
    admit() {
      if (streams >= options.maxSubscribers) return undefined;
      streams += 1;
      let timer: NodeJS.Timeout | undefined;
      let released = false;
      return {
        heartbeat(beat) {
          if (released || timer) return;
          timer = setInterval(beat, options.heartbeatSeconds * 1000);
          heartbeats.add(timer);
        },
        release() {
          if (released) return;
          released = true;
          streams -= 1;
          if (timer) {
            clearInterval(timer);
            heartbeats.delete(timer);
          }
        },
      };
    },
    stats: () => ({
      streams,
      heartbeats: heartbeats.size,
      feed: feed.stats(),
      availability: availability.stats(),
      sales: sales.stats(),
    }),
  };
}
