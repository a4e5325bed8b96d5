// Owns the request and response schemas of events, seat maps and availability: the same schemas
// validate requests and document the OpenAPI contract.
import { z } from '@hono/zod-openapi';
import { cursor, eventId, layoutId, seatLabel, text } from './ids';

/** Bounds of one event; the 256 KiB body limit bounds labelled rows further. */
export const eventLimits = {
  maxSections: 200,
  maxRowsPerSection: 1000,
  maxSeatsPerRow: 1000,
  maxTotalSeats: 200_000,
  maxPrice: 1_000_000_000,
  minHoldSeconds: 5,
  maxHoldSeconds: 3600,
  maxSeatsPerBuyer: 50,
  maxActiveSessions: 100_000,
  minSessionSeconds: 60,
  maxSessionSeconds: 3600,
  // 2^24 hashes is about a second of a phone's CPU: more would shut out the slowest buyers.
  maxPowDifficulty: 24,
} as const;

export const WaitingRoomSchema = z
  .object({
    enabled: z.boolean(),
    maxActiveSessions: z
      .number()
      .int()
      .min(1)
      .max(eventLimits.maxActiveSessions)
      .openapi({
        description:
          'At most this many admitted buyers shop at once. Size it to what the checkout serves well: about ' +
          'the payment limit (per second) times how long a buyer takes from admission to payment.',
        example: 200,
      }),
    sessionSeconds: z
      .number()
      .int()
      .min(eventLimits.minSessionSeconds)
      .max(eventLimits.maxSessionSeconds)
      .default(600)
      .openapi({ description: 'How long an admission lasts; its slot frees sooner when the checkout ends.' }),
    powDifficulty: z.number().int().min(0).max(eventLimits.maxPowDifficulty).default(14).openapi({
      description: 'Leading zero bits of the SHA-256 proof of work asked of each admission attempt.',
    }),
  })
  .strict()
  .openapi('WaitingRoom', {
    description: 'A waiting room in front of the checkout (DESIGN.md, "Flash-sale front door").',
  });

const currencies = new Set(Intl.supportedValuesOf('currency'));

const futureTime = z.iso
  .datetime({ offset: true, error: 'must be an ISO 8601 date-time with a time zone' })
  .refine((value) => Date.parse(value) > Date.now(), 'must be in the future');

/** Flags each item whose id repeats an earlier one's, at `[field, index, 'id']`. */
function flagRepeatedIds(ctx: z.RefinementCtx, items: { id: string }[], field: string, what: string): void {
  const seen = new Set<string>();
  items.forEach((item, index) => {
    if (seen.has(item.id)) {
      ctx.addIssue({
        code: 'custom',
        path: [field, index, 'id'],
        message: `${what} id ${item.id} is repeated`,
      });
    }
    seen.add(item.id);
  });
}

const RowSchema = z
  .object({
    id: layoutId,
    seats: z.union([
      z.number().int().min(1).max(eventLimits.maxSeatsPerRow),
      z.array(seatLabel).min(1).max(eventLimits.maxSeatsPerRow),
    ]),
  })
  .strict()
  .superRefine((row, ctx) => {
    if (Array.isArray(row.seats) && new Set(row.seats).size !== row.seats.length) {
      ctx.addIssue({ code: 'custom', path: ['seats'], message: 'seat labels must be unique within a row' });
    }
  })
  .openapi('EventRow', {
    description: 'A row: a seat count (numbered from 1) or the seat labels in order.',
    example: { id: '1', seats: 20 },
  });

const SectionSchema = z
  .object({
    id: layoutId,
    name: text(100),
    price: z.number().int().positive().max(eventLimits.maxPrice).openapi({
      description: 'Price of every seat in the section, in minor units of the currency.',
      example: 4500,
    }),
    rows: z.array(RowSchema).min(1).max(eventLimits.maxRowsPerSection),
  })
  .strict()
  .superRefine((section, ctx) => flagRepeatedIds(ctx, section.rows, 'rows', 'row'))
  .openapi('EventSection');

const holdSeconds = z
  .number()
  .int()
  .min(eventLimits.minHoldSeconds)
  .max(eventLimits.maxHoldSeconds)
  .openapi({ description: 'How long a hold lasts before its seats are released.' });
const maxSeatsPerBuyer = z.number().int().min(1).max(eventLimits.maxSeatsPerBuyer);
const salesOpenAt = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time with a time zone' });
const refundReleasesSeats = z
  .boolean()
  .openapi({ description: 'Event policy: whether a full refund puts the seats back on sale.' });

export const EventCreateSchema = z
  .object({
    name: text(200),
    venue: text(200),
    startsAt: futureTime.openapi({ example: '2030-06-01T19:30:00Z' }),
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/, 'must be three upper-case letters')
      .refine((code) => currencies.has(code), 'is not an ISO 4217 currency')
      .openapi({ example: 'EUR' }),
    holdSeconds: holdSeconds.default(600),
    maxSeatsPerBuyer: maxSeatsPerBuyer.default(10),
    salesOpenAt: salesOpenAt
      .optional()
      .openapi({ description: 'Holds are refused before this time; absent: open now.' }),
    refundReleasesSeats: refundReleasesSeats.default(true),
    waitingRoom: WaitingRoomSchema.optional(),
    sections: z.array(SectionSchema).min(1).max(eventLimits.maxSections),
  })
  .strict()
  .superRefine((event, ctx) => {
    flagRepeatedIds(ctx, event.sections, 'sections', 'section');
    let total = 0;
    for (const section of event.sections) {
      for (const row of section.rows) total += typeof row.seats === 'number' ? row.seats : row.seats.length;
    }
    if (total > eventLimits.maxTotalSeats) {
      ctx.addIssue({
        code: 'custom',
        path: ['sections'],
        message: `an event has at most ${eventLimits.maxTotalSeats} seats; this one has ${total}`,
      });
    }
    if (event.salesOpenAt !== undefined && Date.parse(event.salesOpenAt) >= Date.parse(event.startsAt)) {
      ctx.addIssue({ code: 'custom', path: ['salesOpenAt'], message: 'must be before startsAt' });
    }
  })
  .openapi('EventCreate', {
    example: {
      name: 'Flash Sale Live',
      venue: 'Arena',
      startsAt: '2030-06-01T19:30:00Z',
      currency: 'EUR',
      holdSeconds: 600,
      maxSeatsPerBuyer: 6,
      sections: [
        { id: 'FLOOR', name: 'Floor', price: 9900, rows: [{ id: '1', seats: 30 }] },
        { id: 'B', name: 'Balcony', price: 4500, rows: [{ id: 'A', seats: ['1', '2', '3', '4'] }] },
      ],
    },
  });

export const EventPatchSchema = z
  .object({
    name: text(200).optional(),
    salesOpenAt: salesOpenAt
      .nullable()
      .optional()
      .openapi({ description: 'Holds are refused before this time; null: open now.' }),
    holdSeconds: holdSeconds.optional(),
    maxSeatsPerBuyer: maxSeatsPerBuyer.optional(),
    waitingRoom: WaitingRoomSchema.nullable()
      .optional()
      .openapi({ description: 'The waiting room; null removes it.' }),
    refundReleasesSeats: refundReleasesSeats.optional(),
  })
  .strict()
  .refine((changes) => Object.keys(changes).length > 0, 'name at least one field to change')
  .openapi('EventPatch', {
    description: 'The fields to change; absent fields stay as they are.',
    example: {
      waitingRoom: { enabled: true, maxActiveSessions: 200, sessionSeconds: 600, powDifficulty: 14 },
    },
  });

const eventFields = {
  id: z.string().openapi({ example: 'evt_3f9a1c0b2d4e5f60718a' }),
  name: z.string(),
  venue: z.string(),
  startsAt: z.string(),
  currency: z.string(),
  holdSeconds: z.number().int(),
  maxSeatsPerBuyer: z.number().int(),
  salesOpenAt: z.string().nullable(),
  refundReleasesSeats: z.boolean(),
  waitingRoom: WaitingRoomSchema.nullable(),
  totalSeats: z.number().int(),
  createdBy: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
};

export const EventSummarySchema = z.object(eventFields).openapi('EventSummary');

/** What every read of a section starts with; the event adds its rows, availability its counts. */
const sectionFields = { id: z.string(), name: z.string(), price: z.number().int() };

export const EventSchema = z
  .object({
    ...eventFields,
    sections: z.array(
      z.object({
        ...sectionFields,
        seatCount: z.number().int(),
        rows: z.array(z.object({ id: z.string(), seats: z.union([z.number().int(), z.array(z.string())]) })),
      }),
    ),
  })
  .openapi('Event');

export const EventListSchema = z
  .object({
    items: z.array(EventSummarySchema),
    nextCursor: z.string().optional().openapi({ description: 'Pass as `cursor` for the next page.' }),
  })
  .openapi('EventList');

export const EventListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: cursor.optional(),
});

export const EventIdParams = z.object({ eventId });

/** The most seats one answer of the seat map carries (about 90 KB): a venue is read a page at a time. */
export const maxSeatsPerPage = 1000;

export const SeatMapQuery = z.object({
  section: layoutId.optional().openapi({ param: { name: 'section', in: 'query' } }),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(maxSeatsPerPage)
    .default(maxSeatsPerPage)
    .openapi({ description: `Seats per page, at most ${maxSeatsPerPage}.` }),
  // The offset of the page's first seat in display order; opaque to clients.
  cursor: cursor
    .regex(/^\d{1,7}$/, "must be a previous page's nextCursor")
    .optional()
    .openapi({ description: "Pass the previous page's `nextCursor` for the next page." }),
});

export const SeatStatusSchema = z.enum(['available', 'held', 'sold']);

export const SeatMapSchema = z
  .object({
    eventId: z.string(),
    seats: z.array(
      z.object({
        id: z.string().openapi({ example: 'FLOOR-1-7' }),
        section: z.string(),
        row: z.string(),
        number: z.string(),
        price: z.number().int(),
        status: SeatStatusSchema,
      }),
    ),
    nextCursor: z
      .string()
      .optional()
      .openapi({ description: 'Present while more seats follow: pass it as `cursor` for the next page.' }),
  })
  .openapi('SeatMap', {
    description:
      `A page of the seat map (at most ${maxSeatsPerPage} seats) in display order: section, row, seat. ` +
      'Cached: eventually consistent, normally within milliseconds.',
  });

export const AvailabilitySchema = z
  .object({
    eventId: z.string(),
    sections: z.array(
      z.object({
        ...sectionFields,
        available: z.number().int(),
        held: z.number().int(),
        sold: z.number().int(),
      }),
    ),
  })
  .openapi('Availability');
