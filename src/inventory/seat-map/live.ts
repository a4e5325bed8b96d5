// Owns what an event's live channel carries: the transitions each seat-map script run published (in
// version order), resyncs (a fill moved the map without transitions), and notices that the event's
// sales moved without a seat moving (a declined card, a refund that leaves its seats sold).
import type { Redis } from '../../platform/redis';
import { seatMapKeys, statusOfCode } from './keys';
import type { SeatTransition } from './views';

export type LiveMessage =
  | { type: 'seats'; transitions: SeatTransition[] }
  | { type: 'resync' }
  | { type: 'sales' };

/** The channel an event's live messages travel on. */
export function liveChannel(eventId: string): string {
  return seatMapKeys(eventId).live;
}

/** A message as published by apply.lua / fill.lua or `announceSales`; undefined when it is none of them. */
export function parseLiveMessage(text: string): LiveMessage | undefined {
  let message: { t?: unknown; c?: unknown };
  try {
    message = JSON.parse(text) as typeof message;
  } catch {
    return undefined;
  }
  if (message.t === 'resync') return { type: 'resync' };
  if (message.t === 'sales') return { type: 'sales' };
  if (message.t !== 'seats' || !Array.isArray(message.c)) return undefined;
  const transitions = (message.c as [number, string, string][]).map(([version, id, code]) => ({
    version,
    id,
    status: statusOfCode[code] ?? 'available',
  }));
  return { type: 'seats', transitions };
}

/**
 * Tells the live feeds that an event's sales figures moved where no seat did. Never throws: a lost
 * notice only delays the sales view until the event's next transition.
 */
export async function announceSales(redis: Redis, eventId: string): Promise<void> {
  await redis.publish(liveChannel(eventId), JSON.stringify({ t: 'sales' })).catch(() => 0);
}
