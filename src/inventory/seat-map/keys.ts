// Owns the seat map's layout in Redis: the key names and how a seat's status is written in them.
//
// Keys, one hash tag per event so a Redis Cluster keeps an event's keys on one slot:
//   seatmap:{eventId}:sections        JSON [{id, name, price}] in display order; present = the map is complete
//   seatmap:{eventId}:layout          hash section -> JSON [[seatId, row, number, price], ...] in display order
//   seatmap:{eventId}:st:{section}    hash seatId -> "<version>:<a|h|s>[:<offset>]", the judge of which
//                                     write is newer; offset = the seat's index in the section's layout
//   seatmap:{eventId}:codes:{section} string, one status letter per seat in layout order, for fast reads
//   seatmap:{eventId}:counts          hash "<section>:<a|h|s>" -> seats in that state
//   seatmap:{eventId}:leases          sorted set seatId -> held_until (epoch ms) of every held seat, so a
//                                     read shows a seat whose lease lapsed beyond the grace as available
//   seatmap:{eventId}:fresh           present (with a TTL) while the map was reconciled with Postgres lately
//   seatmap:{eventId}:filling         short lock: one process fills an event at a time
//   seatmap:{eventId}:version         the map's version: moves by one on every transition of a seat's status
//                                     (and once when a fill places seats the map did not have)
//   seatmap:{eventId}:log             stream of the latest transitions, entry id 0-<version>, fields s (seat)
//                                     and c (status code), capped: what a reconnecting client resumes from
// Channel seatmap:{eventId}:live carries each script run's transitions (and resyncs) to the API processes.
// Every write carries the seat's Postgres `version` and a lower version never overwrites a higher one,
// so write-through, a concurrent fill and retries commute; counters move only with the seat's status,
// the version only with a seat's version.
import type { SeatStatus } from '../seats';

/** An entry of `sections`. */
export interface SectionInfo {
  id: string;
  name: string;
  price: number;
}

/** An entry of a section's `layout`. */
export type LayoutEntry = [id: string, row: string, number: string, price: number];

export const statusCode: Record<SeatStatus, string> = { available: 'a', held: 'h', sold: 's' };
export const statusOfCode: Record<string, SeatStatus> = { a: 'available', h: 'held', s: 'sold' };

export function seatMapKeys(eventId: string) {
  const tag = `seatmap:{${eventId}}`;
  return {
    sections: `${tag}:sections`,
    layout: `${tag}:layout`,
    counts: `${tag}:counts`,
    fresh: `${tag}:fresh`,
    leases: `${tag}:leases`,
    filling: `${tag}:filling`,
    version: `${tag}:version`,
    log: `${tag}:log`,
    live: `${tag}:live`,
    status: (section: string) => `${tag}:st:${section}`,
    codes: (section: string) => `${tag}:codes:${section}`,
  };
}

/** Seat ids are `${section}-${row}-${seat}` and section ids contain no '-'. */
export function sectionOfSeat(seatId: string): string | undefined {
  const dash = seatId.indexOf('-');
  return dash > 0 ? seatId.slice(0, dash) : undefined;
}

/** Reads a status hash value "<version>:<code>[:<offset>]". */
export function parseStatus(
  value: string | null | undefined,
): { version: number; status: SeatStatus } | undefined {
  if (!value) return undefined;
  const sep = value.indexOf(':');
  const status = statusOfCode[value.charAt(sep + 1)];
  return status ? { version: Number(value.slice(0, sep)), status } : undefined;
}

const livePrefix = 'seatmap:{';
const liveSuffix = '}:live';

/** The event whose live channel this is; undefined for any other channel. */
export function eventOfLiveChannel(channel: string): string | undefined {
  if (!channel.startsWith(livePrefix) || !channel.endsWith(liveSuffix)) return undefined;
  return channel.slice(livePrefix.length, -liveSuffix.length);
}
