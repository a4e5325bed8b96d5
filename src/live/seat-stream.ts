// Owns one client's live seat map: where it starts (the transitions after its Last-Event-ID from the
// log, or a snapshot), then every transition of the event's channel exactly once and in version order,
// whatever arrives while it catches up; a gap (a lost subscription, a fill) sends it back to the log.
// Independent of HTTP: it hands Server-Sent Events text to `write`, one write at a time; what arrives
// meanwhile (a batch of the feed, or while a write is pending) is joined into the next write, so a busy
// process makes fewer, larger writes rather than falling behind. Each transition's text is rendered once
// for every client that receives it.
import {
  type AvailabilityView,
  type LiveMessage,
  type SeatMap,
  type SeatTransition,
  sectionOfSeat,
} from '../inventory/seat-map';
import type { LiveFeed } from './feed';
import type { ViewFeed } from './views';

export interface SeatStreamOptions {
  eventId: string;
  section?: string;
  /** The client's Last-Event-ID: the version of the last transition it saw. */
  resumeFrom?: number;
  seatMap: Pick<SeatMap, 'changesSince' | 'snapshot' | 'availability'>;
  feed: LiveFeed;
  availability: ViewFeed<AvailabilityView>;
  /** Writes Server-Sent Events text to the client; resolves when the client's connection took it. */
  write(text: string): Promise<unknown>;
  /** Characters waiting for a slow client beyond which the stream ends (the client resumes by its id). */
  maxBacklogChars: number;
}

/** Why a stream ended by itself. */
export type StreamEnd = 'slow-client' | 'map-unavailable' | 'failed';

export interface SeatStream {
  /** Resolves when the stream ends by itself; never when the client leaves (then call `close`). */
  ended: Promise<{ reason: StreamEnd; error?: unknown }>;
  /** Stops listening; idempotent. */
  close(): void;
}

/** An SSE message as Hono's writeSSE writes it (our data is one line of JSON). */
export function sseText(event: string, data: string, id?: string): string {
  return `event: ${event}\ndata: ${data}${id === undefined ? '' : `\nid: ${id}`}\n\n`;
}

/** Messages that may wait for a catch-up (a Redis round trip or two) before the stream gives up. */
const maxWaitingMessages = 10_000;

// The feed hands every client the same transition objects: each is rendered once.
const rendered = new WeakMap<SeatTransition, string>();
function seatText(t: SeatTransition): string {
  let text = rendered.get(t);
  if (text === undefined) {
    text = sseText(
      'seat',
      JSON.stringify({ id: t.id, status: t.status, version: t.version }),
      String(t.version),
    );
    rendered.set(t, text);
  }
  return text;
}

/**
 * Subscribes first, then catches up, so nothing published in between is missed: what the feed delivers
 * meanwhile waits and is skipped up to the version the catch-up reached.
 */
export async function openSeatStream(options: SeatStreamOptions): Promise<SeatStream> {
  const { eventId, section, seatMap } = options;
  const inSection = (seatId: string) => section === undefined || sectionOfSeat(seatId) === section;
  let last = options.resumeFrom;
  // Starts catching up: the first catch-up runs once both subscriptions are in place.
  let catchingUp = true;
  const pending: LiveMessage[] = [];
  let pendingAvailability: AvailabilityView | undefined;
  let out = '';
  let writing = false;
  let closed = false;
  let end: (value: { reason: StreamEnd; error?: unknown }) => void = () => undefined;
  const ended = new Promise<{ reason: StreamEnd; error?: unknown }>((resolve) => {
    end = resolve;
  });
  const stops: (() => void)[] = [];

  function close(): void {
    if (closed) return;
    closed = true;
    pending.length = 0;
    out = '';
    for (const stop of stops.splice(0)) stop();
  }

  function finish(reason: StreamEnd, error?: unknown): void {
    if (closed) return;
    close();
    end({ reason, error });
  }

  function emit(text: string): void {
    if (closed) return;
    out += text;
    if (out.length > options.maxBacklogChars) finish('slow-client');
    else if (!writing) {
      // After the current batch of the feed: everything it holds for this client goes in one write.
      writing = true;
      queueMicrotask(() => void flush());
    }
  }

  async function flush(): Promise<void> {
    try {
      while (out.length > 0 && !closed) {
        const chunk = out;
        out = '';
        await options.write(chunk);
      }
    } catch (error) {
      finish('failed', error);
    } finally {
      writing = false;
    }
  }

  function availabilityText(view: AvailabilityView): string {
    const sections = view.sections.filter((counts) => section === undefined || counts.id === section);
    return sseText('availability', JSON.stringify({ eventId, sections }));
  }

  /** Brings the client to the map's current version: the log's transitions, or a snapshot. */
  async function catchUp(): Promise<void> {
    if (last !== undefined) {
      const missed = await seatMap.changesSince(eventId, last);
      if (missed) {
        last = missed.version;
        for (const t of missed.transitions) if (inSection(t.id)) emit(seatText(t));
        return;
      }
    }
    const snapshot = await seatMap.snapshot(eventId, section);
    if (!snapshot) {
      finish('map-unavailable');
      return;
    }
    last = snapshot.version;
    const data = JSON.stringify({ version: snapshot.version, seats: snapshot.seats });
    emit(sseText('snapshot', data, String(snapshot.version)));
  }

  function startCatchUp(): void {
    catchingUp = true;
    catchUp()
      .then(() => {
        catchingUp = false;
        drain();
      })
      .catch((error: unknown) => finish('failed', error));
  }

  /** Handles what waited during a catch-up, until another catch-up starts or nothing is left. */
  function drain(): void {
    while (!catchingUp && !closed) {
      const message = pending.shift();
      if (!message) break;
      handle(message);
    }
    if (!catchingUp && pendingAvailability) {
      const view = pendingAvailability;
      pendingAvailability = undefined;
      emit(availabilityText(view));
    }
  }

  function handle(message: LiveMessage): void {
    if (message.type === 'resync') {
      startCatchUp();
      return;
    }
    if (message.type !== 'seats') return;
    for (const t of message.transitions) {
      const seen = last ?? 0;
      if (t.version <= seen) continue;
      // A version missing in between: the log has it, and this message again after the catch-up.
      if (t.version !== seen + 1) {
        pending.unshift(message);
        startCatchUp();
        return;
      }
      last = t.version;
      if (inSection(t.id)) emit(seatText(t));
    }
  }

  function received(message: LiveMessage): void {
    if (closed) return;
    if (!catchingUp) {
      handle(message);
      return;
    }
    pending.push(message);
    if (pending.length > maxWaitingMessages) finish('slow-client');
  }

  function availabilityMoved(view: AvailabilityView): void {
    if (closed) return;
    // Only the latest counts matter: an older view waiting for a catch-up is replaced.
    if (catchingUp) pendingAvailability = view;
    else emit(availabilityText(view));
  }

  try {
    stops.push(await options.feed.subscribe(eventId, received));
    stops.push(await options.availability.subscribe(eventId, availabilityMoved));
  } catch (error) {
    close();
    throw error;
  }
  // The first catch-up, then the counts as they are now (later ones arrive when they change).
  catchUp()
    .then(async () => {
      const view = await seatMap.availability(eventId);
      if (view && !pendingAvailability) pendingAvailability = view;
      catchingUp = false;
      drain();
    })
    .catch((error: unknown) => finish('failed', error));
  return { ended, close };
}
