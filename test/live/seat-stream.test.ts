// The live seat map (DESIGN.md, Live): a stream of every committed transition exactly once and in
// version order, resumable by Last-Event-ID from the log or with a snapshot, one Redis subscription per
// process, nothing left behind when a client leaves, and a cap on streams per process.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { liveChannel } from '../../src/inventory/seat-map';
import { holdSeatsTx } from '../../src/inventory/seats';
import { createRedis } from '../../src/platform/redis';
import { connectTestStores } from '../helpers/app';
import { createTestEvent, section } from '../inventory/helpers';
import { checkoutSeats, seatEvents, serveLiveApp, type Watcher } from './helpers';

const stores = connectTestStores(5);
const seats = checkoutSeats(stores);
let server: Awaited<ReturnType<typeof serveLiveApp>>;
const watchers: Watcher[] = [];

beforeAll(async () => {
  await stores.ready;
  server = await serveLiveApp(stores, {
    LIVE_MAX_SUBSCRIBERS: '4',
    LIVE_REPLAY_LOG: '5',
    LIVE_HEARTBEAT_SECONDS: '1',
    LIVE_PUSH_INTERVAL_MS: '50',
  });
});
afterAll(async () => {
  for (const watcher of watchers) watcher.connection.close();
  await server?.close();
  await stores.close();
});

async function liveEvent() {
  const event = await createTestEvent(stores.pool, { sections: [section('A', 1, 6), section('B', 1, 4)] });
  await server.seatMap.fill(event.id);
  return event.id;
}

async function watch(eventId: string, query = '', headers: Record<string, string> = {}) {
  const watcher = await server.watch(`/v1/events/${eventId}/seats/stream${query}`, headers);
  watchers.push(watcher);
  return watcher;
}

async function snapshotOf(watcher: Watcher) {
  await vi.waitFor(() => expect(watcher.of('snapshot')).toHaveLength(1));
  return watcher.of('snapshot')[0] as { version: number; seats: { id: string; status: string }[] };
}

/** Waits for the stream to be idle: every listener, subscription and timer gone. */
async function expectNothingLeft() {
  await vi.waitFor(async () => {
    expect(server.live.stats()).toEqual({
      streams: 0,
      heartbeats: 0,
      feed: { events: 0, listeners: 0, connected: false },
      availability: { events: 0, listeners: 0, timers: 0 },
      sales: { events: 0, listeners: 0, timers: 0 },
    });
  });
}

describe('the live seat map', () => {
  it('starts with a snapshot, then sends every transition once, in version order, with availability', async () => {
    const eventId = await liveEvent();
    const watcher = await watch(eventId);
    expect(watcher.connection.status).toBe(200);
    expect(watcher.connection.headers['content-type']).toContain('text/event-stream');
    const snapshot = await snapshotOf(watcher);
    expect(snapshot.seats).toHaveLength(10);
    expect(snapshot.seats.every((seat) => seat.status === 'available')).toBe(true);
    expect(watcher.events[0]?.id).toBe(String(snapshot.version));

    const reservation = await seats.hold(eventId, ['A-1-1', 'B-1-2']);
    await seats.release(reservation);
    const sent = await seatEvents(watcher, 4);
    expect(sent.map((event) => JSON.parse(event.data))).toEqual([
      { id: 'A-1-1', status: 'held', version: snapshot.version + 1 },
      { id: 'B-1-2', status: 'held', version: snapshot.version + 2 },
      { id: 'A-1-1', status: 'available', version: snapshot.version + 3 },
      { id: 'B-1-2', status: 'available', version: snapshot.version + 4 },
    ]);
    expect(sent.map((event) => event.id)).toEqual(
      sent.map((event) => String(JSON.parse(event.data).version)),
    );
    expect(await server.seatMap.version(eventId)).toBe(snapshot.version + 4);
    await vi.waitFor(() => {
      const last = watcher.of('availability').at(-1);
      expect(last.sections.find((s: { id: string }) => s.id === 'A')).toMatchObject({
        available: 6,
        held: 0,
      });
    });
    watcher.connection.close();
  });

  it('streams only the section asked for', async () => {
    const eventId = await liveEvent();
    const watcher = await watch(eventId, '?section=B');
    const snapshot = await snapshotOf(watcher);
    expect(snapshot.seats.map((seat) => seat.id)).toEqual(['B-1-1', 'B-1-2', 'B-1-3', 'B-1-4']);
    await seats.hold(eventId, ['A-1-3']);
    await seats.hold(eventId, ['B-1-3']);
    const [only] = await seatEvents(watcher, 1);
    expect(JSON.parse(only?.data ?? '{}')).toEqual({
      id: 'B-1-3',
      status: 'held',
      version: snapshot.version + 2,
    });
    await vi.waitFor(() => expect(watcher.of('availability').at(-1)?.sections).toHaveLength(1));
    watcher.connection.close();
  });

  it('resumes after Last-Event-ID with exactly the transitions missed, then live ones', async () => {
    const eventId = await liveEvent();
    const first = await watch(eventId);
    const snapshot = await snapshotOf(first);
    const held = await seats.hold(eventId, ['A-1-1']);
    const [seen] = await seatEvents(first, 1);
    first.connection.close();

    await seats.release(held);
    await seats.hold(eventId, ['A-1-2', 'A-1-3']);
    const again = await watch(eventId, '', { 'last-event-id': seen?.id ?? '' });
    const missed = await seatEvents(again, 3);
    await seats.hold(eventId, ['A-1-4']);
    const all = await seatEvents(again, 4);
    expect(again.of('snapshot')).toEqual([]);
    expect(all.map((event) => JSON.parse(event.data))).toEqual([
      { id: 'A-1-1', status: 'available', version: snapshot.version + 2 },
      { id: 'A-1-2', status: 'held', version: snapshot.version + 3 },
      { id: 'A-1-3', status: 'held', version: snapshot.version + 4 },
      { id: 'A-1-4', status: 'held', version: snapshot.version + 5 },
    ]);
    expect(missed.length).toBeGreaterThanOrEqual(3);
    again.connection.close();
  });

  it('sends a snapshot to a client that missed more than the log keeps, or names a version it never had', async () => {
    const eventId = await liveEvent();
    const first = await watch(eventId);
    const { version } = await snapshotOf(first);
    first.connection.close();
    // Six transitions: one more than the log keeps (LIVE_REPLAY_LOG=5).
    for (const seatId of ['A-1-1', 'A-1-2', 'A-1-3', 'A-1-4', 'A-1-5', 'A-1-6'])
      await seats.hold(eventId, [seatId]);

    const late = await watch(eventId, '', { 'last-event-id': String(version) });
    const snapshot = await snapshotOf(late);
    expect(snapshot.version).toBe(version + 6);
    expect(snapshot.seats.filter((seat) => seat.status === 'held')).toHaveLength(6);
    expect(late.of('seat')).toEqual([]);
    late.connection.close();

    // A version ahead of the map (Redis lost its data since): a snapshot too, never someone else's log.
    const ahead = await watch(eventId, '', { 'last-event-id': String(version + 1000) });
    expect((await snapshotOf(ahead)).version).toBe(version + 6);
    ahead.connection.close();
  });

  it('subscribes once per process and event, and leaves no listener, subscription or timer behind', async () => {
    const eventId = await liveEvent();
    const clients = [await watch(eventId), await watch(eventId), await watch(eventId, '?section=A')];
    for (const client of clients) await snapshotOf(client);
    const [, subscribers] = (await stores.redis.pubsub('NUMSUB', liveChannel(eventId))) as [string, number];
    expect(subscribers).toBe(1);
    // One feed listener per stream, and one for the event's availability view that all three share.
    expect(server.live.stats()).toMatchObject({
      streams: 3,
      heartbeats: 3,
      feed: { events: 1, listeners: 4, connected: true },
      availability: { events: 1, listeners: 3 },
    });
    // Heartbeats are comments, every LIVE_HEARTBEAT_SECONDS (1 s here).
    await vi.waitFor(() => expect(clients[0]?.connection.heartbeats).toBeGreaterThan(0), { timeout: 3000 });

    for (const client of clients) client.connection.close();
    await expectNothingLeft();
    const [, after] = (await stores.redis.pubsub('NUMSUB', liveChannel(eventId))) as [string, number];
    expect(after).toBe(0);
  });

  it('refuses a stream beyond the cap with 503 and Retry-After, and takes one again once a slot frees', async () => {
    const eventId = await liveEvent();
    const open = [];
    for (let i = 0; i < 4; i++) open.push(await watch(eventId));
    const refused = await watch(eventId);
    expect(refused.connection.status).toBe(503);
    expect(refused.connection.headers['content-type']).toBe('application/problem+json');
    expect(refused.connection.headers['retry-after']).toBe('5');
    expect(JSON.parse(refused.connection.body)).toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE' });

    open[0]?.connection.close();
    await vi.waitFor(() => expect(server.live.stats().streams).toBe(3));
    const admitted = await watch(eventId);
    expect(admitted.connection.status).toBe(200);
    for (const client of [...open, admitted]) client.connection.close();
    await expectNothingLeft();
  });

  it('sends what a fill repairs as transitions, and a snapshot when a fill rebuilt what Redis lost', async () => {
    const eventId = await liveEvent();
    const watcher = await watch(eventId);
    const { version } = await snapshotOf(watcher);
    // A hold whose write-through never arrived (a crash between the commit and Redis): the fill repairs it.
    await holdSeatsTx(stores.pool, {
      reservationId: 'rsv_live_missed',
      buyerId: 'buyer-live-missed',
      eventId,
      request: { seatIds: ['B-1-4'] },
    });
    await server.seatMap.fill(eventId);
    const [repaired] = await seatEvents(watcher, 1);
    expect(JSON.parse(repaired?.data ?? '{}')).toEqual({ id: 'B-1-4', status: 'held', version: version + 1 });

    // Redis lost a section: the fill places its seats again, which no transition describes.
    await stores.redis.del(`seatmap:{${eventId}}:st:A`);
    await server.seatMap.fill(eventId);
    await vi.waitFor(() => expect(watcher.of('snapshot')).toHaveLength(2));
    const [, rebuilt] = watcher.of('snapshot');
    expect(rebuilt.version).toBeGreaterThan(version + 1);
    expect(rebuilt.seats.find((seat: { id: string }) => seat.id === 'B-1-4').status).toBe('held');
    watcher.connection.close();
  });

  it('answers 503 while Redis is down, and keeps nothing of the refused stream', async () => {
    const eventId = await liveEvent();
    const down = createRedis('redis://127.0.0.1:1');
    const offline = await serveLiveApp({ pool: stores.pool, redis: down });
    try {
      const refused = await offline.watch(`/v1/events/${eventId}/seats/stream`);
      expect(refused.connection.status).toBe(503);
      expect(JSON.parse(refused.connection.body)).toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
      expect(refused.connection.headers['retry-after']).toBeDefined();
      expect(offline.live.stats()).toMatchObject({
        streams: 0,
        heartbeats: 0,
        feed: { events: 0, listeners: 0 },
      });
    } finally {
      await offline.close();
      down.disconnect();
    }
  });

  it('answers bad requests with problems before any stream starts', async () => {
    const eventId = await liveEvent();
    const cases = [
      [`/v1/events/evt_doesnotexist0000/seats/stream`, {}, 404, 'EVENT_NOT_FOUND'],
      [`/v1/events/${eventId}/seats/stream?section=Z`, {}, 422, 'VALIDATION_FAILED'],
      [`/v1/events/${eventId}/seats/stream`, { 'last-event-id': 'yesterday' }, 422, 'VALIDATION_FAILED'],
    ] as const;
    for (const [path, headers, status, code] of cases) {
      const response = await server.app.request(path, { headers });
      expect(response.status, path).toBe(status);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      expect(((await response.json()) as { code: string }).code).toBe(code);
    }
    expect(server.live.stats().streams).toBe(0);
  });
});
