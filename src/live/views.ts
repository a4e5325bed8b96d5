// Owns views derived from an event's live channel (its availability counts, its sales figures): computed
// once per event and process however many clients watch, at most once per interval however fast the
// event moves (leading and trailing edge, so the last change is always pushed), and handed to the
// event's listeners only when the view changed.
import type { LiveMessage } from '../inventory/seat-map';
import type { Logger } from '../platform/logger';
import { type LiveFeed, releasedOnce } from './feed';

export interface ViewFeed<V> {
  /** Calls `listener` with the event's view each time it changes; resolves to the function that stops it. */
  subscribe(eventId: string, listener: (view: V) => void): Promise<() => void>;
  /** Events with listeners, and pending timers (both zero once every listener has gone). */
  stats(): { events: number; listeners: number; timers: number };
}

export interface ViewFeedOptions<V> {
  feed: LiveFeed;
  log: Logger;
  /** Which channel messages may change the view. */
  movedBy(message: LiveMessage): boolean;
  /** Reads the view (undefined: nothing to push now). */
  compute(eventId: string): Promise<V | undefined>;
  intervalMs: number;
}

interface Watched<V> {
  listeners: Set<(view: V) => void>;
  stop: Promise<(() => void) | undefined>;
  timer?: NodeJS.Timeout;
  running: boolean;
  /** A change arrived while the view was being computed: compute again after it. */
  again: boolean;
  lastRunAt: number;
  lastJson?: string;
}

export function createViewFeed<V>(options: ViewFeedOptions<V>): ViewFeed<V> {
  const watched = new Map<string, Watched<V>>();

  function schedule(eventId: string, entry: Watched<V>): void {
    if (entry.running) {
      entry.again = true;
      return;
    }
    if (entry.timer) return;
    const wait = Math.max(0, entry.lastRunAt + options.intervalMs - Date.now());
    entry.timer = setTimeout(() => {
      entry.timer = undefined;
      void run(eventId, entry);
    }, wait);
  }

  async function run(eventId: string, entry: Watched<V>): Promise<void> {
    entry.running = true;
    entry.lastRunAt = Date.now();
    try {
      const view = await options.compute(eventId);
      const json = view === undefined ? undefined : JSON.stringify(view);
      if (view !== undefined && json !== entry.lastJson && watched.get(eventId) === entry) {
        entry.lastJson = json;
        for (const listener of entry.listeners) listener(view);
      }
    } catch (error) {
      options.log.warn({ err: error, eventId }, 'live view not computed');
    } finally {
      entry.running = false;
    }
    if (entry.again && watched.get(eventId) === entry) {
      entry.again = false;
      schedule(eventId, entry);
    }
  }

  function release(eventId: string, entry: Watched<V>, listener: (view: V) => void): void {
    entry.listeners.delete(listener);
    if (entry.listeners.size > 0 || watched.get(eventId) !== entry) return;
    watched.delete(eventId);
    clearTimeout(entry.timer);
    entry.timer = undefined;
    void entry.stop.then((stop) => stop?.());
  }

  return {
    async subscribe(eventId, listener) {
      let entry = watched.get(eventId);
      if (!entry) {
        const created: Watched<V> = {
          listeners: new Set(),
          stop: Promise.resolve(undefined),
          running: false,
          again: false,
          lastRunAt: 0,
        };
        created.stop = options.feed.subscribe(eventId, (message) => {
          if (options.movedBy(message)) schedule(eventId, created);
        });
        watched.set(eventId, created);
        entry = created;
      }
      entry.listeners.add(listener);
      const joined = entry;
      try {
        await joined.stop;
      } catch (error) {
        // The feed could not subscribe: this entry is dead for everyone who joined it.
        if (watched.get(eventId) === joined) watched.delete(eventId);
        joined.listeners.delete(listener);
        throw error;
      }
      return releasedOnce(() => release(eventId, joined, listener));
    },

    stats() {
      let listeners = 0;
      let timers = 0;
      for (const entry of watched.values()) {
        listeners += entry.listeners.size;
        if (entry.timer) timers += 1;
      }
      return { events: watched.size, listeners, timers };
    },
  };
}
