// Owns the seat map's public face: the map itself and what it answers; the rest of the folder is its inside.
export { sectionOfSeat } from './keys';
export { createSeatMap, type SeatMap, type SeatMapDeps } from './map';
export type {
  AvailabilityView,
  MapVersion,
  SeatMapView,
  SeatPage,
  SeatView,
  SectionCounts,
} from './views';
