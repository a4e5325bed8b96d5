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

/** The seat map, or a page of it; `nextOffset` is where the next page starts, when there is one. */
export interface SeatMapView {
  eventId: string;
  seats: SeatView[];
  nextOffset?: number;
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

export interface AvailabilityView {
  eventId: string;
  sections: SectionCounts[];
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
