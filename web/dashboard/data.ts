// Owns what the dashboard's server and script agree on: the data the server hands the script, and the
// sales view the stream pushes (GET /v1/events/{eventId}/sales).

export interface DashboardData {
  eventId: string;
  currency: string;
  totalSeats: number;
}

/** The view the stream pushes: the one type the API answers with (type-only: nothing of the server is bundled). */
export type { SalesWithRoom as SalesView } from '../../src/live';
