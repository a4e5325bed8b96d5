// Owns one client's live seat map: where it starts (the transitions after its Last-Event-ID from the
// log, or a snapshot), then every transition of the event's channel exactly once and in version order,
// whatever arrives while it catches up; a gap (a lost subscription, a fill) sends it back to the log.
// Independent of HTTP: it hands frames to `send` one at a time and awaits each.
import {
  type AvailabilityView,
  type LiveMessage,
  type SeatMap,
  type SeatTransition,
  sectionOfSeat,
} from '../inventory/seat-map';
import type { LiveFeed } from './feed';
import type { ViewFeed } from './views';

/** An SSE message: `id` is the map's version where the frame has one. */
export interface Frame {
  event: 'seat' | 'snapshot' | 'availability';
  data: string;
  id?: string;
}

export interface SeatStreamOptions {
  eventId: string;
  section?: string;
  /** The client's Last-Event-ID: the version of the last transition it saw. */
  resumeFrom?: number;
  seatMap: Pick<SeatMap, 'changesSince' | 'snapshot' | 'availability'>;
  feed: LiveFeed;
  availability: ViewFeed<AvailabilityView>;
  send(frame: Frame): Promise<void>;
  /** Messages waiting for a slow client beyond which the stream ends (the client resumes by its id). */
  maxBacklog: number;
}

/** Why a stream ended by itself. */
export type StreamEnd = 'slow-client' | 'map-unavailable' | 'failed';

export interface SeatStream {
  /** Resolves when the stream ends by itself; never when the client leaves (then call `close`). */
  ended: Promise<{ reason: StreamEnd; error?: unknown }>;
  /** Stops listening; idempotent. */
  close(): void;
}

type Item =
  | { kind: 'catch-up' }
  | { kind: 'message'; message: LiveMessage }
  | { kind: 'availability'; view: AvailabilityView };

/**
 * Subscribes first, then catches up, so nothing published in between is missed: what the feed delivers
 * meanwhile waits in the inbox and is skipped up to the version the catch-up reached.
 */
export async function openSeatStream(options: SeatStreamOptions): Promise<SeatStream> {
  const { eventId, section, seatMap } = options;
  const inSection = (seatId: string) => section === undefined || sectionOfSeat(seatId) === section;
  // The catch-up goes first, ahead of anything the feed delivers.
  const inbox: Item[] = [{ kind: 'catch-up' }];
  let last = options.resumeFrom;
  let pumping = false;
  let closed = false;
  let end: (value: { reason: StreamEnd; error?: unknown }) => void = () => undefined;
  const ended = new Promise<{ reason: StreamEnd; error?: unknown }>((resolve) => {
    end = resolve;
  });
  const stops: (() => void)[] = [];

  function close(): void {
    if (closed) return;
    closed = true;
    inbox.length = 0;
    for (const stop of stops.splice(0)) stop();
  }

  function finish(reason: StreamEnd, error?: unknown): void {
    close();
    end({ reason, error });
  }

  function enqueue(item: Item): void {
    if (closed) return;
    if (inbox.length >= options.maxBacklog) {
      finish('slow-client');
      return;
    }
    inbox.push(item);
    if (!pumping) void pump();
  }

  const seatFrame = (t: SeatTransition): Frame => ({
    event: 'seat',
    id: String(t.version),
    data: JSON.stringify({ id: t.id, status: t.status, version: t.version }),
  });

  async function catchUp(): Promise<void> {
    if (last !== undefined) {
      const missed = await seatMap.changesSince(eventId, last);
      if (missed) {
        last = missed.version;
        for (const t of missed.transitions) if (inSection(t.id)) await options.send(seatFrame(t));
        return;
      }
    }
    const snapshot = await seatMap.snapshot(eventId, section);
    if (!snapshot) return finish('map-unavailable');
    last = snapshot.version;
    await options.send({
      event: 'snapshot',
      id: String(snapshot.version),
      data: JSON.stringify({ version: snapshot.version, seats: snapshot.seats }),
    });
  }

  async function apply(transitions: SeatTransition[]): Promise<void> {
    for (const t of transitions) {
      if (closed) return;
      const seen = last ?? 0;
      if (t.version <= seen) continue;
      // A version missing in between: the log has it (or the client needs a snapshot).
      if (t.version !== seen + 1) {
        await catchUp();
        continue;
      }
      last = t.version;
      if (inSection(t.id)) await options.send(seatFrame(t));
    }
  }

  async function availabilityFrame(view: AvailabilityView): Promise<void> {
    const sections = view.sections.filter((counts) => section === undefined || counts.id === section);
    await options.send({ event: 'availability', data: JSON.stringify({ eventId, sections }) });
  }

  async function handle(item: Item): Promise<void> {
    if (item.kind === 'catch-up') {
      await catchUp();
      const view = await seatMap.availability(eventId);
      if (view && !closed) await availabilityFrame(view);
    } else if (item.kind === 'availability') {
      await availabilityFrame(item.view);
    } else if (item.message.type === 'seats') {
      await apply(item.message.transitions);
    } else if (item.message.type === 'resync') {
      await catchUp();
    }
  }

  async function pump(): Promise<void> {
    pumping = true;
    try {
      for (let item = inbox.shift(); item && !closed; item = inbox.shift()) await handle(item);
    } catch (error) {
      finish('failed', error);
    } finally {
      pumping = false;
    }
  }

  try {
    stops.push(await options.feed.subscribe(eventId, (message) => enqueue({ kind: 'message', message })));
    stops.push(
      await options.availability.subscribe(eventId, (view) => enqueue({ kind: 'availability', view })),
    );
  } catch (error) {
    close();
    throw error;
  }
  if (!pumping) void pump();
  return { ended, close };
}
