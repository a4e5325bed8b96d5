// Owns the waiting room's Redis keys. Every key of an event shares its hash tag, so the admission
// script's keys live in one slot of a Redis Cluster.
const tag = (eventId: string) => `wr:{${eventId}}`;

export const roomKeys = {
  room: (eventId: string) => `${tag(eventId)}:room`,
  sessions: (eventId: string) => `${tag(eventId)}:sessions`,
  /** Session id -> the reservation its buyer holds, so the session ends when that checkout does. */
  sessionReservations: (eventId: string) => `${tag(eventId)}:session-reservations`,
  admission: (eventId: string, buyerId: string) => `${tag(eventId)}:admission:${buyerId}`,
  consumed: (eventId: string, tokenId: string) => `${tag(eventId)}:consumed:${tokenId}`,
  admittedTotal: (eventId: string) => `${tag(eventId)}:admitted-total`,
  /** A HyperLogLog of the buyers who joined: how many wait, without a row per waiting buyer. */
  joined: (eventId: string) => `${tag(eventId)}:joined`,
  flag: (eventId: string, subject: string) => `${tag(eventId)}:flag:${subject}`,
  lockout: (eventId: string, subject: string) => `${tag(eventId)}:lockout:${subject}`,
  flagged: (eventId: string) => `${tag(eventId)}:flagged`,
  samples: (eventId: string) => `${tag(eventId)}:samples`,
};
