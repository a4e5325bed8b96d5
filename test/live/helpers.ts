// Owns what the live suites share: the real app served over HTTP on the test stores (with its services at
// hand, to read the live streams' stats), clients that collect a stream's events, and transitions driven
// through the inventory activities the checkout runs, each written through to the seat map.
import { randomUUID } from 'node:crypto';
import { expect, vi } from 'vitest';
import { createInventoryActivities } from '../../activities/inventory';
import { createApp, createRouteDeps } from '../../api/app';
import { openSse, type SseConnection, type SseEvent } from '../../scripts/lib/sse-client';
import type { Pool } from '../../src/platform/db';
import { createLogger } from '../../src/platform/logger';
import type { Redis } from '../../src/platform/redis';
import { testAppDeps, testConfig } from '../helpers/app';
import { listen } from '../helpers/stack';

export interface Watcher {
  events: SseEvent[];
  connection: SseConnection;
  /** The events named `name`, their data parsed. */
  // biome-ignore lint/suspicious/noExplicitAny: suites read whatever each event carries.
  of(name: string): any[];
}

/** The app (its live services exposed) served on a free port, with `env` over the test configuration. */
export async function serveLiveApp(stores: { pool: Pool; redis: Redis }, env: NodeJS.ProcessEnv = {}) {
  const deps = testAppDeps({ ...stores, config: testConfig(env) });
  const services = createRouteDeps(deps);
  const app = createApp(deps, services);
  const server = await listen((request) => app.fetch(request));
  return {
    app,
    live: services.live,
    seatMap: services.seatMap,
    url: server.url,
    close: () => server.close(),
    /** Opens the stream at `path` and collects its events. */
    async watch(path: string, headers: Record<string, string> = {}): Promise<Watcher> {
      const events: SseEvent[] = [];
      const connection = await openSse(`${server.url}${path}`, (event) => events.push(event), headers);
      return {
        events,
        connection,
        of: (name) => events.filter((event) => event.event === name).map((event) => JSON.parse(event.data)),
      };
    },
  };
}

/** Holds and releases through the checkout's inventory activities (Postgres, then the write-through). */
export function checkoutSeats(stores: { pool: Pool; redis: Redis }) {
  const inventory = createInventoryActivities({ ...stores, log: createLogger('silent', 'test-live') });
  return {
    async hold(eventId: string, seatIds: string[]): Promise<string> {
      const reservationId = `rsv_${randomUUID()}`;
      await inventory.holdSeats({
        reservationId,
        buyerId: `buyer-${randomUUID().slice(0, 8)}`,
        eventId,
        request: { seatIds },
      });
      return reservationId;
    },
    release: (reservationId: string) =>
      inventory.releaseSeats({ reservationId, reason: 'test', actor: 'test' }),
  };
}

/** Waits until `watcher` has `count` seat events (or more) and returns them. */
export async function seatEvents(watcher: Watcher, count: number): Promise<SseEvent[]> {
  await vi.waitFor(
    () => expect(watcher.events.filter((e) => e.event === 'seat').length).toBeGreaterThanOrEqual(count),
    {
      timeout: 5000,
    },
  );
  return watcher.events.filter((event) => event.event === 'seat');
}
