// Owns what the seat map answers: the same shapes whether Redis or Postgres served them.
import type { SeatStatus } from '../seats';

export interface SeatView {
  id: string;
  section: string;
  row: string;
  number: string;
  price: number;
  status: SeatStatus;
}

/**
 * Which state of an event's cached map a view shows, for validators (ETags) and resuming streams.
 * `seats` is the map's version (seatmap:{eventId}:version): apply.lua and fill.lua move it by one on
 * every transition of a seat's status, whoever writes (the API, the worker's activities, a fill), in the
 * same script as the statuses, so the same version is the same statuses; it is also the live feed's
 * event id. `lapsedHolds` counts the holds shown available because their lease lapsed beyond the grace,
 * which changes with time alone.
 */
export interface MapVersion {
  seats: number;
  lapsedHolds: number;
}

/**
 * The seat map, or a page of it; `nextOffset` is where the next page starts, when there is one.
 * `version` comes with every answer read from the cached map, and only with those: a cold map's first
 * read and every read while Redis is down are answered from Postgres, whose versions are not the map's.
 */
export interface SeatMapView {
  eventId: string;
  seats: SeatView[];
  nextOffset?: number;
  version?: MapVersion;
}

/** A page of the seat map: `limit` seats from `offset`, in display order (section, row, seat). */
export interface SeatPage {
  offset: number;
  limit: number;
}

/** Which of `count` seats that begin at `start` in display order fall in `page`: local [from, to). */
export function withinPage(start: number, count: number, page: SeatPage | undefined): [number, number] {
  if (!page) return [0, count];
  const from = Math.min(count, Math.max(0, page.offset - start));
  return [from, Math.max(from, Math.min(count, page.offset + page.limit - start))];
}

/** `{ nextOffset }` when seats are left after `page` among `total`, else nothing. */
export function nextPage(total: number, page: SeatPage | undefined): { nextOffset?: number } {
  return page && page.offset + page.limit < total ? { nextOffset: page.offset + page.limit } : {};
}

export interface SectionCounts {
  id: string;
  name: string;
  price: number;
  available: number;
  held: number;
  sold: number;
}

/** Counts per section; `version` as in SeatMapView. */
export interface AvailabilityView {
  eventId: string;
  sections: SectionCounts[];
  version?: MapVersion;
}

/** Every seat's status at one version of the map: where a live client starts (or starts over). */
export interface SeatSnapshot {
  version: number;
  seats: { id: string; status: SeatStatus }[];
}

/** One transition of the map: a seat's new status, at the map's version it made. */
export interface SeatTransition {
  version: number;
  id: string;
  status: SeatStatus;
}
