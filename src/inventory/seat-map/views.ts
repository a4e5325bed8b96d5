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

export interface SeatMapView {
  eventId: string;
  seats: SeatView[];
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
