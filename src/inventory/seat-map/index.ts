// Owns the seat map's public face: the map itself and what it answers; the rest of the folder is its inside.
export { eventOfLiveChannel, sectionOfSeat } from './keys';
export { announceSales, type LiveMessage, liveChannel, parseLiveMessage } from './live';
export { createSeatMap, defaultReplayLog, type SeatMap, type SeatMapDeps } from './map';
export type {
  AvailabilityView,
  MapVersion,
  SeatMapView,
  SeatPage,
  SeatSnapshot,
  SeatTransition,
  SeatView,
  SectionCounts,
} from './views';
