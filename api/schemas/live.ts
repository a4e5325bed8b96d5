// Owns the schemas of the live endpoints: the seat-map stream's query and Last-Event-ID header, the
// event-stream responses as OpenAPI describes them, and the organizer's sales view.
import { z } from '@hono/zod-openapi';
import { onsalePhases } from '../../src/waiting-room/room-state';
import { layoutId } from './ids';

export const SeatStreamQuery = z.object({
  section: layoutId
    .optional()
    .openapi({ param: { name: 'section', in: 'query' }, description: 'Only the seats of this section.' }),
});

export const SeatStreamHeaders = z.object({
  // The parameter's name must match the header's key as the validator reads it (lower case).
  'last-event-id': z
    .string()
    .regex(/^\d{1,15}$/, "must be the id of an event this stream sent (the seat map's version)")
    .optional()
    .openapi({
      param: { name: 'last-event-id', in: 'header' },
      description:
        'Sent by EventSource on a reconnect: the stream resumes after that version, with exactly the ' +
        'transitions missed, or a snapshot when the log no longer has them all.',
      example: '1764600000042',
    }),
});

/** A `responses` entry answering a stream of Server-Sent Events. */
export function eventStream(description: string) {
  return {
    description,
    content: { 'text/event-stream': { schema: z.string().openapi({ format: 'event-stream' }) } },
  };
}

export const seatStreamDescription = [
  'Server-Sent Events, one per committed seat transition, in version order, each exactly once:',
  '- `event: snapshot`, `id: <version>`, `data: {version, seats: [{id, status}]}`: every seat (of the',
  '  section) at that version; first on a new connection, and on a resume that missed more than the',
  '  log keeps.',
  '- `event: seat`, `id: <version>`, `data: {id, status, version}`: a transition. `version` is the',
  "  seat map's version, which moves by one with every transition of the event (a section's stream",
  '  skips the others).',
  '- `event: availability`, `data: {eventId, sections: [{id, name, price, available, held, sold}]}`:',
  '  after the start, and when the counts change (at most once per LIVE_PUSH_INTERVAL_MS).',
  '- `: heartbeat` comments every LIVE_HEARTBEAT_SECONDS.',
  'Reconnect with `Last-Event-ID` (EventSource does) to resume without a gap.',
].join('\n');

const tierFields = {
  sold: z.number().int(),
  held: z.number().int(),
  available: z.number().int(),
  revenue: z.number().int().openapi({ description: 'Face value of the seats sold, minor units.' }),
};

export const SalesSchema = z
  .object({
    eventId: z.string(),
    currency: z.string(),
    sections: z.array(
      z.object({
        id: z.string(),
        name: z.string(),
        ...tierFields,
        tiers: z.array(z.object({ price: z.number().int(), ...tierFields })),
      }),
    ),
    seats: z.object({
      total: z.number().int(),
      sold: z.number().int(),
      held: z.number().int(),
      available: z.number().int(),
    }),
    revenue: z
      .object({ gross: z.number().int(), refunded: z.number().int(), net: z.number().int() })
      .openapi({ description: 'Succeeded charges and refunds as the payments audit records them.' }),
    refunds: z.object({ count: z.number().int(), amount: z.number().int() }),
    orders: z.object({
      total: z.number().int(),
      paid: z.number().int(),
      partiallyRefunded: z.number().int(),
      refunded: z.number().int(),
      validTickets: z.number().int(),
    }),
    funnel: z.object({
      holds: z.number().int(),
      confirms: z.number().int(),
      declines: z.number().int().openapi({ description: 'Declined card attempts.' }),
      expiries: z.number().int(),
      cancels: z.number().int(),
      releases: z.number().int().openapi({ description: 'Released by support.' }),
      failures: z.number().int(),
      open: z.number().int().openapi({ description: 'Reservations still held or paying.' }),
    }),
    waitingRoom: z
      .object({
        enabled: z.boolean(),
        phase: z.enum(onsalePhases).nullable(),
        maxActiveSessions: z.number().int(),
        activeSessions: z.number().int(),
        admittedTotal: z.number().int(),
        joined: z
          .number()
          .int()
          .openapi({ description: 'Distinct buyers who joined (estimate, within ~1%).' }),
        tau: z.number().nullable(),
      })
      .nullable()
      .openapi({ description: "The waiting room's figures; null when the event has none." }),
  })
  .openapi('Sales', {
    description:
      "An event's sales from Postgres. Money figures agree with the reconciliation report's totals " +
      '(charged, refunded, net, orders, valid tickets) when it finds no discrepancies.',
  });
