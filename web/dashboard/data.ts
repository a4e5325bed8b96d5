// Owns what the dashboard's server and script agree on: the data the server hands the script, and the
// sales view the stream pushes (GET /v1/events/{eventId}/sales, api/schemas/live.ts).

export interface DashboardData {
  eventId: string;
  currency: string;
  totalSeats: number;
}

interface SeatFigures {
  sold: number;
  held: number;
  available: number;
  revenue: number;
}

export interface SalesView {
  eventId: string;
  currency: string;
  sections: ({ id: string; name: string; tiers: ({ price: number } & SeatFigures)[] } & SeatFigures)[];
  seats: { total: number; sold: number; held: number; available: number };
  revenue: { gross: number; refunded: number; net: number };
  refunds: { count: number; amount: number };
  orders: { total: number; paid: number; partiallyRefunded: number; refunded: number; validTickets: number };
  funnel: {
    holds: number;
    confirms: number;
    declines: number;
    expiries: number;
    cancels: number;
    releases: number;
    failures: number;
    open: number;
  };
}
