// The live benchmark's check, short enough for CI: 100 streams of one event on the real app while seats
// change through the checkout's hold and release code at 50 transitions/s; every client must see every
// transition exactly once, in version order (bench:live runs the same with 2,000 clients).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectClients, verdictOf } from '../../bench/live/clients';
import { driveTransitions } from '../../bench/live/driver';
import { createSeatMap } from '../../src/inventory/seat-map';
import { createLogger } from '../../src/platform/logger';
import { connectTestStores } from '../helpers/app';
import { createTestEvent, section } from '../inventory/helpers';
import { serveLiveApp } from '../live/helpers';

const clients = 100;
const transitions = 40;

describe('live fan-out under load', () => {
  const stores = connectTestStores(5);
  let server: Awaited<ReturnType<typeof serveLiveApp>>;
  beforeAll(async () => {
    await stores.ready;
    server = await serveLiveApp(stores);
  });
  afterAll(async () => {
    await server?.close();
    await stores.close();
  });

  it('delivers every transition to every client exactly once, in version order', async () => {
    const event = await createTestEvent(stores.pool, { sections: [section('A', 2, 20)] });
    await server.seatMap.fill(event.id);
    let allDelivered: () => void = () => undefined;
    const delivered = new Promise<void>((resolve) => {
      allDelivered = resolve;
    });
    const pool = await connectClients(`${server.url}/v1/events/${event.id}/seats/stream`, clients, {
      onSeat: (total) => total === clients * transitions && allDelivered(),
    });
    try {
      await expect.poll(() => pool.ready(), { timeout: 10_000 }).toBe(clients);
      // The writer is another seat map, as the worker's is: the transitions reach the app through Redis.
      const writer = createSeatMap({ ...stores, log: createLogger('silent', 'bench-live-test') });
      const seatIds = event.sections[0]?.rows.flatMap((row) =>
        Array.from({ length: Number(row.seats) }, (_, i) => `A-${row.id}-${i + 1}`),
      );
      const commits = await driveTransitions({
        pool: stores.pool,
        seatMap: writer,
        eventId: event.id,
        seatIds: seatIds ?? [],
        rate: 50,
        transitions,
      });
      expect(commits).toMatchObject({ transitions, failures: 0 });
      await delivered;
      const verdict = verdictOf(pool.received, commits, (await server.seatMap.version(event.id)) ?? 0);
      expect(verdict).toMatchObject({ clients, exact: clients, disordered: 0, incomplete: 0 });
      expect(verdict.fanOut.count).toBe(clients * transitions);
      expect(server.live.stats()).toMatchObject({ streams: clients, feed: { events: 1 } });
    } finally {
      pool.close();
    }
    await expect.poll(() => server.live.stats().streams).toBe(0);
  });
});
