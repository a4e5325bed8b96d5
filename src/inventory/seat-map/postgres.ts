// Owns the seat map's reads from Postgres, the judge: what a fill writes into Redis (statuses and
// leases as stored), and the answers served from Postgres while Redis is down, where a held seat whose
// lease lapsed beyond the grace shows available.
import type { Pool, Queryable } from '../../platform/db';
import { statusShown } from '../lease';
import type { SeatStatus } from '../seats';
import type { SectionInfo } from './keys';
import {
  type AvailabilityView,
  nextPage,
  type SeatMapView,
  type SeatPage,
  type SeatView,
  type SectionCounts,
  withinPage,
} from './views';

export interface SeatRow extends SeatView {
  version: number;
  /** A held seat's lease (held_until, epoch ms); null for other seats. */
  heldUntil: number | null;
}

/** An event's sections and seats, in display order, as a fill writes them. */
export interface Loaded {
  sections: SectionInfo[];
  seats: SeatRow[];
}

/** The columns of a seat that every read of the map selects. */
interface SeatColumns {
  seat_id: string;
  section_id: string;
  row_id: string;
  number: string;
  price: string | number;
  status: SeatStatus;
  held_until: Date | null;
}

/** Every seat of an event (or of one section) in display order: section, row, position. */
export async function readSeatRows(q: Queryable, eventId: string, section?: string): Promise<SeatRow[]> {
  // Sorted here rather than in SQL: a fresh 100,000-seat event has no statistics yet, and Postgres
  // then joins and sorts it on disk (seconds) where JavaScript takes tens of milliseconds.
  const [order, seats] = await Promise.all([
    q.query<{ section_id: string }>('select section_id from sections where event_id = $1 order by position', [
      eventId,
    ]),
    q.query<SeatColumns & { version: number; row_position: number; position: number }>(
      `select seat_id, section_id, row_id, number, price, status, version, held_until, row_position, position
         from seats
        where event_id = $1 and ($2::text is null or section_id = $2)`,
      [eventId, section ?? null],
    ),
  ]);
  const sectionPosition = new Map(order.rows.map((row, index) => [row.section_id, index]));
  return seats.rows
    .sort(
      (a, b) =>
        (sectionPosition.get(a.section_id) ?? 0) - (sectionPosition.get(b.section_id) ?? 0) ||
        a.row_position - b.row_position ||
        a.position - b.position,
    )
    .map((row) => ({
      id: row.seat_id,
      section: row.section_id,
      row: row.row_id,
      number: row.number,
      price: Number(row.price),
      status: row.status,
      version: row.version,
      heldUntil: row.status === 'held' && row.held_until ? row.held_until.getTime() : null,
    }));
}

/** A row as readers see it: no version or lease, and a lapsed hold available. */
function shown({ version: _version, heldUntil, ...seat }: SeatRow, graceSeconds: number): SeatView {
  return { ...seat, status: statusShown(seat.status, heldUntil, graceSeconds) };
}

/** Available/held/sold counts per section of an event, in section order; lapsed holds count available. */
export async function countSeats(
  q: Queryable,
  eventId: string,
  graceSeconds: number,
): Promise<SectionCounts[]> {
  const { rows } = await q.query<{
    section_id: string;
    name: string;
    price: string | number;
    available: string | number;
    held: string | number;
    sold: string | number;
  }>(
    // Counted per section first, in one pass over the event's seats, then joined to the few sections:
    // a join first lets a planner without statistics loop over every seat once per section.
    `select c.section_id, c.name, c.price,
            coalesce(n.available, 0) as available, coalesce(n.held, 0) as held, coalesce(n.sold, 0) as sold
       from sections c
       left join (
         select section_id,
                count(*) filter (where status = 'available' or lapsed) as available,
                count(*) filter (where status = 'held' and not lapsed) as held,
                count(*) filter (where status = 'sold') as sold
           from (
             select section_id, status,
                    coalesce(status = 'held' and held_until < now() - make_interval(secs => $2), false) as lapsed
               from seats
              where event_id = $1
           ) s
          group by section_id
       ) n on n.section_id = c.section_id
      where c.event_id = $1
      order by c.position`,
    [eventId, graceSeconds],
  );
  return rows.map((row) => ({
    id: row.section_id,
    name: row.name,
    price: Number(row.price),
    available: Number(row.available),
    held: Number(row.held),
    sold: Number(row.sold),
  }));
}

/** An event's sections and seats for a fill; undefined when the event has no sections (does not exist). */
export async function loadEvent(pool: Pool, eventId: string): Promise<Loaded | undefined> {
  const { rows } = await pool.query<{ section_id: string; name: string; price: string | number }>(
    'select section_id, name, price from sections where event_id = $1 order by position',
    [eventId],
  );
  if (rows.length === 0) return undefined;
  const seats = await readSeatRows(pool, eventId);
  return {
    sections: rows.map((row) => ({ id: row.section_id, name: row.name, price: Number(row.price) })),
    seats,
  };
}

/** The seat map of a loaded event (or one section), or a page of it. */
export function viewOf(
  eventId: string,
  loaded: Loaded,
  section: string | undefined,
  graceSeconds: number,
  page?: SeatPage,
): SeatMapView {
  const seats = loaded.seats.filter((seat) => section === undefined || seat.section === section);
  const [from, to] = withinPage(0, seats.length, page);
  return {
    eventId,
    seats: seats.slice(from, to).map((seat) => shown(seat, graceSeconds)),
    ...nextPage(seats.length, page),
  };
}

/** Available/held/sold counts per section of a loaded event. */
export function countsOf(eventId: string, loaded: Loaded, graceSeconds: number): AvailabilityView {
  const bySection = new Map(
    loaded.sections.map((info) => [info.id, { ...info, available: 0, held: 0, sold: 0 }]),
  );
  for (const seat of loaded.seats) {
    const counts = bySection.get(seat.section);
    if (counts) counts[statusShown(seat.status, seat.heldUntil, graceSeconds)] += 1;
  }
  return { eventId, sections: [...bySection.values()] };
}

/**
 * The seat map of an event (or one section) straight from Postgres, or a page of it: a page is one
 * query of `limit` rows (and one more, to tell whether another page follows). Undefined when there is no
 * such event.
 */
export async function readFromPostgres(
  pool: Pool,
  eventId: string,
  section: string | undefined,
  graceSeconds: number,
  page?: SeatPage,
): Promise<SeatMapView | undefined> {
  const { rowCount } = await pool.query('select 1 from events where id = $1', [eventId]);
  if (!rowCount) return undefined;
  if (!page) {
    const seats = await readSeatRows(pool, eventId, section);
    return { eventId, seats: seats.map((seat) => shown(seat, graceSeconds)) };
  }
  const { rows } = await pool.query<SeatColumns>(
    `select s.seat_id, s.section_id, s.row_id, s.number, s.price, s.status, s.held_until
       from seats s
       join sections c on c.event_id = s.event_id and c.section_id = s.section_id
      where s.event_id = $1 and ($2::text is null or s.section_id = $2)
      order by c.position, s.row_position, s.position
      limit $3 offset $4`,
    [eventId, section ?? null, page.limit + 1, page.offset],
  );
  const seats = rows.slice(0, page.limit).map(
    (row): SeatView => ({
      id: row.seat_id,
      section: row.section_id,
      row: row.row_id,
      number: row.number,
      price: Number(row.price),
      status: statusShown(row.status, row.held_until?.getTime() ?? null, graceSeconds),
    }),
  );
  return { eventId, seats, ...(rows.length > page.limit && { nextOffset: page.offset + page.limit }) };
}

/** Counts per section straight from Postgres; undefined when there is no such event. */
export async function availabilityFromPostgres(
  pool: Pool,
  eventId: string,
  graceSeconds: number,
): Promise<AvailabilityView | undefined> {
  const sections = await countSeats(pool, eventId, graceSeconds);
  return sections.length === 0 ? undefined : { eventId, sections };
}
