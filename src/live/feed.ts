// Owns the API process's one Redis subscription to the events' live channels: a dedicated subscriber
// connection, opened when the first client of any event arrives and closed when the last one leaves, one
// SUBSCRIBE per event however many clients watch it (reference counted), and the fan-out of every
// message, in the order Redis delivered it (version order), to that event's listeners in this process.
// Messages are handed over in batches, once per turn of the event loop: idle, a batch is one message
// and nothing waits; busy (thousands of clients), a batch holds what arrived meanwhile, so a client gets
// one write per batch rather than one per message and the process keeps up instead of falling behind.

import { eventOfLiveChannel, type LiveMessage, liveChannel, parseLiveMessage } from '../inventory/seat-map';
import type { Logger } from '../platform/logger';
import type { Redis } from '../platform/redis';

/** What a listener hears: the channel's messages, and `resync` when the subscription was lost a while. */
export type FeedListener = (message: LiveMessage) => void;

export interface FeedStats {
  /** Events this process is subscribed to (one channel each). */
  events: number;
  /** Listeners over all events. */
  listeners: number;
  /** Whether the subscriber connection is open. */
  connected: boolean;
}

export interface LiveFeed {
  /**
   * Calls `listener` with every message of the event's channel published after the returned promise
   * resolves (Redis has confirmed the subscription); resolves to the function that stops it. Rejects
   * when Redis can't be reached.
   */
  subscribe(eventId: string, listener: FeedListener): Promise<() => void>;
  stats(): FeedStats;
}

interface Channel {
  listeners: Set<FeedListener>;
  subscribed: Promise<unknown>;
  /** Messages waiting for the next batch. */
  queued: LiveMessage[];
  batch?: NodeJS.Immediate;
}

/** An unsubscribe a listener may call any number of times: only the first releases anything. */
export function releasedOnce(release: () => void): () => void {
  let released = false;
  return () => {
    if (released) return;
    released = true;
    release();
  };
}

export function createLiveFeed(deps: { redis: Redis; log: Logger }): LiveFeed {
  const channels = new Map<string, Channel>();
  let subscriber: Redis | undefined;

  function connection(): Redis {
    if (subscriber) return subscriber;
    // Its own connection: a subscribed connection can run no other command. Commands queue while it
    // connects, unlike the main client's, so the first SUBSCRIBE waits for the connection.
    const opened = deps.redis.duplicate({
      enableOfflineQueue: true,
      lazyConnect: false,
      // SUBSCRIBE and UNSUBSCRIBE are all it sends, each when asked.
      enableAutoPipelining: false,
    });
    let connectedBefore = false;
    opened.on('ready', () => {
      // ioredis subscribes again by itself; what was published meanwhile is lost, so every listener
      // catches up from its last version (the log, or a snapshot).
      if (connectedBefore) {
        deps.log.info({ events: channels.size }, 'live feed reconnected: listeners resync');
        for (const channel of channels.values()) deliver(channel, { type: 'resync' });
      }
      connectedBefore = true;
    });
    opened.on('message', (name: string, text: string) => {
      const eventId = eventOfLiveChannel(name);
      const channel = eventId === undefined ? undefined : channels.get(eventId);
      const message = parseLiveMessage(text);
      if (channel && message) deliver(channel, message);
    });
    opened.on('error', (error: unknown) => deps.log.debug({ err: error }, 'live feed connection error'));
    subscriber = opened;
    return opened;
  }

  function deliver(channel: Channel, message: LiveMessage): void {
    channel.queued.push(message);
    channel.batch ??= setImmediate(() => {
      channel.batch = undefined;
      const messages = channel.queued.splice(0);
      for (const listener of channel.listeners) {
        try {
          for (const queued of messages) listener(queued);
        } catch (error) {
          deps.log.error({ err: error }, 'live feed listener failed');
        }
      }
    });
  }

  function release(eventId: string, channel: Channel, listener: FeedListener): void {
    channel.listeners.delete(listener);
    if (channel.listeners.size > 0 || channels.get(eventId) !== channel) return;
    channels.delete(eventId);
    clearImmediate(channel.batch);
    channel.batch = undefined;
    const open = subscriber;
    if (!open) return;
    if (channels.size === 0) {
      // Nobody watches anything: the connection goes too (a later client opens a new one).
      subscriber = undefined;
      open.disconnect();
    } else {
      open.unsubscribe(liveChannel(eventId)).catch(() => undefined);
    }
  }

  return {
    async subscribe(eventId, listener) {
      let channel = channels.get(eventId);
      if (!channel) {
        const listeners = new Set<FeedListener>();
        channel = { listeners, subscribed: connection().subscribe(liveChannel(eventId)), queued: [] };
        channels.set(eventId, channel);
      }
      channel.listeners.add(listener);
      const joined = channel;
      try {
        await joined.subscribed;
      } catch (error) {
        release(eventId, joined, listener);
        throw error;
      }
      return releasedOnce(() => release(eventId, joined, listener));
    },

    stats() {
      let listeners = 0;
      for (const channel of channels.values()) listeners += channel.listeners.size;
      return { events: channels.size, listeners, connected: subscriber !== undefined };
    },
  };
}
