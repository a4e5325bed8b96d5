// Owns what the event page's server and script agree on: the data the server hands the script, and how a
// seat is named to a screen reader (rendered by the server, renamed by the script as its status moves).

export interface EventPageData {
  event: {
    id: string;
    name: string;
    currency: string;
    maxSeatsPerBuyer: number;
    /** The event sells through its waiting room: the page queues before it may hold. */
    waitingRoom: boolean;
    sections: { id: string; name: string; price: number }[];
  };
  /** Stripe's test payment methods may be picked (a test key): the development payment path. */
  testPayments: boolean;
}

export function seatLabel(
  seat: { number: string; row: string },
  sectionName: string,
  status: string,
): string {
  return `Seat ${seat.number}, row ${seat.row}, ${sectionName}, ${status}`;
}
