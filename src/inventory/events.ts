// Owns events in Postgres: creating one with its sections and every seat in one transaction with
// set-based inserts (a 100,000-seat venue is three statements), reading one, and listing them.
import { randomBytes } from 'node:crypto';
import { DomainError } from '../errors';
import { type Pool, type PoolClient, type Queryable, withTransaction } from '../platform/db';

export interface NewRow {
  id: string;
  /** A count (seats numbered from 1) or the seats' labels in order. */
  seats: number | string[];
}

export interface NewSection {
  id: string;
  name: string;
  /** Minor units of the event's currency. */
  price: number;
  rows: NewRow[];
}

/**
 * An event's waiting room (DESIGN.md, "Flash-sale front door"): while enabled, buyers queue and a hold
 * needs an admission; at most `maxActiveSessions` admitted buyers shop at once, each for `sessionSeconds`.
 */
export interface WaitingRoomSettings {
  enabled: boolean;
  maxActiveSessions: number;
  sessionSeconds: number;
  /** Leading zero bits of the proof of work asked of every admission attempt (flagged buyers: more). */
  powDifficulty: number;
}

/** What an organizer sets for an event, as given and as read back. */
interface EventSettings {
  name: string;
  venue: string;
  startsAt: string;
  currency: string;
  holdSeconds: number;
  maxSeatsPerBuyer: number;
}

export interface NewEvent extends EventSettings {
  salesOpenAt?: string;
  refundReleasesSeats?: boolean;
  waitingRoom?: WaitingRoomSettings;
  sections: NewSection[];
}

/** What PATCH /v1/events/{eventId} may change; absent fields stay as they are. */
export interface EventChanges {
  name?: string;
  salesOpenAt?: string | null;
  holdSeconds?: number;
  maxSeatsPerBuyer?: number;
  waitingRoom?: WaitingRoomSettings | null;
  refundReleasesSeats?: boolean;
}

export interface EventSection {
  id: string;
  name: string;
  price: number;
  seatCount: number;
  rows: NewRow[];
}

export interface EventRecord extends EventSettings {
  id: string;
  salesOpenAt: string | null;
  refundReleasesSeats: boolean;
  waitingRoom: WaitingRoomSettings | null;
  totalSeats: number;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
}

export interface EventWithSections extends EventRecord {
  sections: EventSection[];
}

interface EventRow {
  id: string;
  name: string;
  venue: string;
  starts_at: Date;
  currency: string;
  hold_seconds: number;
  max_seats_per_buyer: number;
  sales_open_at: Date | null;
  refund_releases_seats: boolean;
  waiting_room: WaitingRoomSettings | null;
  total_seats: number;
  created_by: string;
  created_at: Date;
  updated_at: Date;
}

const eventColumns = `id, name, venue, starts_at, currency, hold_seconds, max_seats_per_buyer, sales_open_at,
  refund_releases_seats, waiting_room, total_seats, created_by, created_at, updated_at`;

function toEvent(row: EventRow): EventRecord {
  return {
    id: row.id,
    name: row.name,
    venue: row.venue,
    startsAt: row.starts_at.toISOString(),
    currency: row.currency,
    holdSeconds: row.hold_seconds,
    maxSeatsPerBuyer: row.max_seats_per_buyer,
    salesOpenAt: row.sales_open_at ? row.sales_open_at.toISOString() : null,
    refundReleasesSeats: row.refund_releases_seats,
    waitingRoom: row.waiting_room,
    totalSeats: row.total_seats,
    createdBy: row.created_by,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

export function newEventId(): string {
  return `evt_${randomBytes(10).toString('hex')}`;
}

export function seatCountOf(row: NewRow): number {
  return typeof row.seats === 'number' ? row.seats : row.seats.length;
}

/**
 * Creates an event, its sections and all its seats (`${section}-${row}-${seat}`) in one transaction.
 * Rows given as a count are expanded by Postgres (generate_series); labelled rows travel as flat arrays.
 */
export async function createEvent(
  pool: Pool,
  input: NewEvent & { id?: string; createdBy: string },
): Promise<EventWithSections> {
  const id = input.id ?? newEventId();
  const sectionSeats = input.sections.map((section) =>
    section.rows.reduce((sum, row) => sum + seatCountOf(row), 0),
  );
  const totalSeats = sectionSeats.reduce((sum, count) => sum + count, 0);

  // Counted rows: one array entry per row. Labelled rows: one array entry per seat.
  const counted = {
    section: [] as string[],
    row: [] as string[],
    rowPosition: [] as number[],
    count: [] as number[],
  };
  const labelled = {
    section: [] as string[],
    row: [] as string[],
    rowPosition: [] as number[],
    label: [] as string[],
    position: [] as number[],
  };
  for (const section of input.sections) {
    section.rows.forEach((row, rowIndex) => {
      if (typeof row.seats === 'number') {
        counted.section.push(section.id);
        counted.row.push(row.id);
        counted.rowPosition.push(rowIndex + 1);
        counted.count.push(row.seats);
      } else {
        row.seats.forEach((label, seatIndex) => {
          labelled.section.push(section.id);
          labelled.row.push(row.id);
          labelled.rowPosition.push(rowIndex + 1);
          labelled.label.push(label);
          labelled.position.push(seatIndex + 1);
        });
      }
    });
  }

  return withTransaction(pool, async (client: PoolClient) => {
    const event = await client.query<EventRow>(
      `insert into events (id, name, venue, starts_at, currency, hold_seconds, max_seats_per_buyer,
                           sales_open_at, total_seats, created_by, refund_releases_seats, waiting_room)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
       returning ${eventColumns}`,
      [
        id,
        input.name,
        input.venue,
        input.startsAt,
        input.currency,
        input.holdSeconds,
        input.maxSeatsPerBuyer,
        input.salesOpenAt ?? null,
        totalSeats,
        input.createdBy,
        input.refundReleasesSeats ?? true,
        input.waitingRoom ? JSON.stringify(input.waitingRoom) : null,
      ],
    );
    await client.query(
      `insert into sections (event_id, section_id, name, price, position, row_layout, seat_count)
       select $1, s.id, s.name, s.price, s.position, s.row_layout, s.seat_count
         from unnest($2::text[], $3::text[], $4::bigint[], $5::int[], $6::jsonb[], $7::int[])
              as s(id, name, price, position, row_layout, seat_count)`,
      [
        id,
        input.sections.map((section) => section.id),
        input.sections.map((section) => section.name),
        input.sections.map((section) => section.price),
        input.sections.map((_, index) => index + 1),
        input.sections.map((section) => JSON.stringify(section.rows)),
        sectionSeats,
      ],
    );
    if (counted.row.length > 0) {
      await client.query(
        `insert into seats (event_id, seat_id, section_id, row_id, number, position, row_position, price)
         select $1, r.section_id || '-' || r.row_id || '-' || n, r.section_id, r.row_id, n::text, n,
                r.row_position, c.price
           from unnest($2::text[], $3::text[], $4::int[], $5::int[])
                as r(section_id, row_id, row_position, seat_count)
           join sections c on c.event_id = $1 and c.section_id = r.section_id
          cross join lateral generate_series(1, r.seat_count) as n`,
        [id, counted.section, counted.row, counted.rowPosition, counted.count],
      );
    }
    if (labelled.label.length > 0) {
      await client.query(
        `insert into seats (event_id, seat_id, section_id, row_id, number, position, row_position, price)
         select $1, r.section_id || '-' || r.row_id || '-' || r.label, r.section_id, r.row_id, r.label,
                r.position, r.row_position, c.price
           from unnest($2::text[], $3::text[], $4::int[], $5::text[], $6::int[])
                as r(section_id, row_id, row_position, label, position)
           join sections c on c.event_id = $1 and c.section_id = r.section_id`,
        [id, labelled.section, labelled.row, labelled.rowPosition, labelled.label, labelled.position],
      );
    }
    const [row] = event.rows;
    if (!row) throw new Error('insert into events returned no row');
    return {
      ...toEvent(row),
      sections: input.sections.map((section, index) => ({
        id: section.id,
        name: section.name,
        price: section.price,
        seatCount: sectionSeats[index] ?? 0,
        rows: section.rows,
      })),
    };
  });
}

/** An event with its sections, or undefined. */
export async function getEvent(q: Queryable, eventId: string): Promise<EventWithSections | undefined> {
  const event = await q.query<EventRow>(`select ${eventColumns} from events where id = $1`, [eventId]);
  const [row] = event.rows;
  if (!row) return undefined;
  const sections = await q.query<{
    section_id: string;
    name: string;
    price: string | number;
    seat_count: number;
    row_layout: NewRow[];
  }>(
    `select section_id, name, price, seat_count, row_layout
       from sections where event_id = $1 order by position`,
    [eventId],
  );
  return {
    ...toEvent(row),
    sections: sections.rows.map((section) => ({
      id: section.section_id,
      name: section.name,
      price: Number(section.price),
      seatCount: section.seat_count,
      rows: section.row_layout,
    })),
  };
}

/**
 * Applies an organizer's changes to their own event and returns it, or undefined when `organizerId`
 * created no event `eventId` (another organizer's event is as absent as a missing one).
 */
export async function updateEvent(
  pool: Pool,
  eventId: string,
  organizerId: string,
  changes: EventChanges,
): Promise<EventWithSections | undefined> {
  const has = (field: keyof EventChanges) => changes[field] !== undefined;
  const { rowCount } = await pool.query(
    `update events
        set name = case when $3 then $4 else name end,
            sales_open_at = case when $5 then $6::timestamptz else sales_open_at end,
            hold_seconds = coalesce($7, hold_seconds),
            max_seats_per_buyer = coalesce($8, max_seats_per_buyer),
            waiting_room = case when $9 then $10::jsonb else waiting_room end,
            refund_releases_seats = coalesce($11, refund_releases_seats),
            updated_at = now()
      where id = $1 and created_by = $2`,
    [
      eventId,
      organizerId,
      has('name'),
      changes.name ?? null,
      has('salesOpenAt'),
      changes.salesOpenAt ?? null,
      changes.holdSeconds ?? null,
      changes.maxSeatsPerBuyer ?? null,
      has('waitingRoom'),
      changes.waitingRoom ? JSON.stringify(changes.waitingRoom) : null,
      changes.refundReleasesSeats ?? null,
    ],
  );
  return rowCount ? getEvent(pool, eventId) : undefined;
}

/** Events, newest first, a page at a time; `after` is the id of the last event of the previous page. */
export async function listEvents(
  q: Queryable,
  page: { limit: number; after?: string },
): Promise<{ items: EventRecord[]; nextCursor?: string }> {
  if (page.after !== undefined) {
    const { rowCount } = await q.query('select 1 from events where id = $1', [page.after]);
    if (!rowCount) {
      throw new DomainError('VALIDATION_FAILED', 'cursor does not name a listed event', {
        errors: [{ path: 'cursor', message: 'unknown cursor' }],
      });
    }
  }
  const { rows } = await q.query<EventRow>(
    `select ${eventColumns} from events
      where $1::text is null or (created_at, id) < (select created_at, id from events where id = $1)
      order by created_at desc, id desc
      limit $2`,
    [page.after ?? null, page.limit + 1],
  );
  const items = rows.slice(0, page.limit).map(toEvent);
  const last = items[items.length - 1];
  return rows.length > page.limit && last ? { items, nextCursor: last.id } : { items };
}
