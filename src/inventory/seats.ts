// Owns the seat state machine in Postgres: hold, commit, release, void and extend. Each transition writes
// its seat_events rows in the same statement, and each function takes a client so other modules can
// compose it inside their own transaction; the caller writes the seat map through after commit.
// Transitions run as named statements, parsed and planned once per connection, not once per call.
import pg from 'pg';
import { DomainError } from '../errors';
import { pgErrorCodes, type Queryable } from '../platform/db';
import { graceOf, type LeaseOptions } from './lease';
import { checkSeatRequest, type SeatRequest } from './seat-request';

export type SeatStatus = 'available' | 'held' | 'sold';

/** A seat's committed state after a transition; the seat map orders writes by `version`. */
export interface SeatChange {
  eventId: string;
  seatId: string;
  section: string;
  status: SeatStatus;
  version: number;
  /** A held seat's lease (held_until, epoch ms): the seat map shows it available once lapsed. */
  heldUntil?: number;
}

export interface HoldInput {
  reservationId: string;
  buyerId: string;
  eventId: string;
  request: SeatRequest;
  /** Who asked, for seat_events; defaults to the buyer. */
  actor?: string;
}

export interface HoldResult {
  seats: { id: string; price: number }[];
  amount: number;
  currency: string;
  /** The event's hold duration; the workflow's timer is the authority on expiry. */
  holdSeconds: number;
  /** Informational: when the seats' held_until says the hold ends. */
  heldUntil: string;
}

export interface CommitInput {
  reservationId: string;
  orderId: string;
  actor?: string;
  /** When given, the reservation must hold (or have sold to `orderId`) exactly these seats. */
  seatIds?: string[];
}

export interface ReleaseInput {
  reservationId: string;
  reason: string;
  actor: string;
}

export interface VoidInput {
  eventId: string;
  orderId: string;
  seatIds: string[];
  reason: string;
  actor: string;
}

export interface Transition {
  /** The seats this call moved (or, for an idempotent repeat, found already moved), sorted. */
  seatIds: string[];
  /** Their committed state, for the seat map. */
  changes: SeatChange[];
}

interface ChangeRow {
  event_id: string;
  seat_id: string;
  section_id: string;
  status: SeatStatus;
  version: number;
  held_until?: Date | null;
}

function toChange(row: ChangeRow): SeatChange {
  const { event_id: eventId, seat_id: seatId, section_id: section, status, version } = row;
  const change: SeatChange = { eventId, seatId, section, status, version };
  if (status === 'held' && row.held_until) change.heldUntil = row.held_until.getTime();
  return change;
}

/** The answer of hold_seats_v3 (migration 0006): parallel arrays, one entry per seat. */
type HoldOutcome =
  | {
      error?: undefined;
      ids: string[];
      sections: string[];
      prices: number[];
      versions: number[];
      /** Row and seat position, for display order within a section. */
      places: number[];
      /** Only on a repeat, which may find seats already sold. */
      statuses?: SeatStatus[];
      currency: string;
      holdSeconds: number;
      heldUntil: string | null;
      repeat: boolean;
      /** Seats whose lapsed lease this hold ended (held -> available) before taking seats. */
      lapsedIds?: string[];
      lapsedSections?: string[];
      lapsedVersions?: number[];
    }
  | { error: string; [detail: string]: unknown };

function holdRejection(eventId: string, outcome: { error: string; [detail: string]: unknown }): Error {
  const { error, ...details } = outcome;
  switch (error) {
    case 'EVENT_NOT_FOUND':
      return new DomainError('EVENT_NOT_FOUND', `event ${eventId} does not exist`, { eventId });
    case 'SALES_NOT_OPEN':
      return new DomainError('SALES_NOT_OPEN', `sales open at ${details.salesOpenAt}`, details);
    case 'BUYER_LIMIT_EXCEEDED':
      return new DomainError(
        'BUYER_LIMIT_EXCEEDED',
        `a buyer may hold or own at most ${details.limit} seats of this event; already ${details.alreadyHeld}`,
        details,
      );
    case 'UNKNOWN_SEATS':
      return new DomainError(
        'UNKNOWN_SEATS',
        `no such seats in this event: ${(details.unknownSeatIds as string[]).join(', ')}`,
        details,
      );
    case 'UNKNOWN_SECTION':
      return new DomainError('VALIDATION_FAILED', `no section ${details.section} in this event`, {
        errors: [{ path: 'section', message: 'unknown section' }],
        ...details,
      });
    case 'SEATS_UNAVAILABLE': {
      const ids = details.unavailableSeatIds as string[];
      const message =
        ids.length > 0
          ? `seats no longer available: ${ids.join(', ')}`
          : `not enough seats available in section ${details.section}`;
      return new DomainError('SEATS_UNAVAILABLE', message, details);
    }
    default:
      return new Error(`hold_seats_v3 answered an unknown error ${error}`);
  }
}

/**
 * Holds seats for a reservation: all of them or none, in one statement (the `hold_seats_v3` function of
 * migration 0006), taking seats whose lease lapsed beyond the grace like free ones (the lapse audited).
 * A repeat for the same reservation returns the seats it already owns. With a pool it is its own
 * transaction (retried if Postgres breaks a deadlock between two explicit holds); with a client it
 * joins the caller's, which stays usable after a rejection.
 */
export async function holdSeatsTx(
  q: Queryable,
  input: HoldInput,
  options: LeaseOptions = {},
): Promise<HoldResult & { changes: SeatChange[]; repeat: boolean }> {
  const request = checkSeatRequest(input.request);
  const explicit = 'seatIds' in request;
  const values = [
    input.eventId,
    input.reservationId,
    input.buyerId,
    explicit ? request.seatIds : null,
    explicit ? null : request.section,
    explicit ? null : request.quantity,
    explicit ? null : (request.adjacent ?? false),
    input.actor ?? input.buyerId,
    graceOf(options),
  ];
  const ownTransaction = q instanceof pg.Pool;
  for (let attempt = 1; ; attempt += 1) {
    try {
      const { rows } = await q.query<{ outcome: HoldOutcome }>({
        name: 'inventory.hold',
        text: 'select hold_seats_v3($1, $2, $3, $4::text[], $5, $6, $7, $8, $9) as outcome',
        values,
      });
      const outcome = rows[0]?.outcome;
      if (!outcome) throw new Error('hold_seats_v3 returned no row');
      if (outcome.error !== undefined) throw holdRejection(input.eventId, outcome);
      return holdResult(input.eventId, outcome);
    } catch (error) {
      // Two explicit holds can lock shared seats in different orders when their plans differ.
      const deadlock = (error as { code?: string }).code === pgErrorCodes.deadlockDetected;
      if (!deadlock || !ownTransaction || attempt >= 3) throw error;
    }
  }
}

function holdResult(
  eventId: string,
  outcome: Extract<HoldOutcome, { error?: undefined }>,
): HoldResult & { changes: SeatChange[]; repeat: boolean } {
  const held = outcome.ids
    .map((id, index) => ({
      id,
      section: outcome.sections[index] ?? '',
      price: Number(outcome.prices[index]),
      version: outcome.versions[index] ?? 0,
      place: outcome.places[index] ?? 0,
      status: outcome.statuses?.[index] ?? ('held' as const),
    }))
    .sort((a, b) => (a.section < b.section ? -1 : a.section > b.section ? 1 : a.place - b.place));
  const seats = held.map((seat) => ({ id: seat.id, price: seat.price }));
  const heldUntilMs = outcome.heldUntil ? Date.parse(outcome.heldUntil) : undefined;
  const lapsed: SeatChange[] = (outcome.lapsedIds ?? []).map((seatId, index) => ({
    eventId,
    seatId,
    section: outcome.lapsedSections?.[index] ?? '',
    status: 'available',
    version: outcome.lapsedVersions?.[index] ?? 0,
  }));
  return {
    seats,
    amount: seats.reduce((sum, seat) => sum + seat.price, 0),
    currency: outcome.currency,
    holdSeconds: outcome.holdSeconds,
    heldUntil: heldUntilMs ? new Date(heldUntilMs).toISOString() : new Date().toISOString(),
    repeat: outcome.repeat,
    changes: [
      ...lapsed,
      ...held.map((seat) => ({
        eventId,
        seatId: seat.id,
        section: seat.section,
        status: seat.status,
        version: seat.version,
        ...(seat.status === 'held' && heldUntilMs && { heldUntil: heldUntilMs }),
      })),
    ],
  };
}

/**
 * Sells a reservation's held seats to an order (held -> sold). Call it inside a transaction: it locks the
 * reservation's seats first. A repeat for the same order is a no-op that returns the same seats; a
 * reservation that holds none of its seats, or not the ones expected, or whose lease lapsed beyond the
 * grace (its seats are on sale again), is SEATS_NOT_HELD and nothing changes.
 */
export async function commitSeatsTx(
  client: Queryable,
  input: CommitInput,
  options: LeaseOptions = {},
): Promise<Transition> {
  const { reservationId, orderId } = input;
  const owned = await client.query<ChangeRow & { order_id: string | null; lapsed: boolean }>({
    name: 'inventory.commit.lock',
    text: `select event_id, seat_id, section_id, status, version, order_id, held_until,
            coalesce(status = 'held' and held_until < now() - make_interval(secs => $2), false) as lapsed
       from seats
      where reservation_id = $1
      order by event_id, seat_id
        for update`,
    values: [reservationId, graceOf(options)],
  });
  const notHeld = (message: string, details: Record<string, unknown> = {}) =>
    new DomainError('SEATS_NOT_HELD', message, { reservationId, ...details });
  if (owned.rows.length === 0) throw notHeld(`reservation ${reservationId} holds no seats`);
  const lapsed = owned.rows.filter((row) => row.lapsed);
  if (lapsed.length > 0) {
    throw notHeld(
      `the hold of reservation ${reservationId} lapsed at ${lapsed[0]?.held_until?.toISOString()}: its seats are on sale again`,
      { seatIds: lapsed.map((row) => row.seat_id) },
    );
  }
  const soldElsewhere = owned.rows.filter((row) => row.status === 'sold' && row.order_id !== orderId);
  if (soldElsewhere.length > 0) {
    throw notHeld(`seats of reservation ${reservationId} were sold to another order`, {
      seatIds: soldElsewhere.map((row) => row.seat_id),
    });
  }
  if (input.seatIds) {
    const ownedIds = new Set(owned.rows.map((row) => row.seat_id));
    const expected = new Set(input.seatIds);
    const missing = input.seatIds.filter((id) => !ownedIds.has(id));
    const extra = [...ownedIds].filter((id) => !expected.has(id));
    if (missing.length > 0 || extra.length > 0) {
      throw notHeld(`reservation ${reservationId} does not hold exactly the seats being committed`, {
        missingSeatIds: missing,
        unexpectedSeatIds: extra,
      });
    }
  }
  const held = owned.rows.filter((row) => row.status === 'held');
  const alreadySold = owned.rows.filter((row) => row.status === 'sold');
  if (held.length === 0) {
    return { seatIds: alreadySold.map((row) => row.seat_id), changes: alreadySold.map(toChange) };
  }
  const sold = await client.query<ChangeRow>({
    name: 'inventory.commit.sell',
    text: `with sold as (
       update seats s
          set status = 'sold', order_id = $2, held_until = null, version = s.version + 1
        where s.reservation_id = $1 and s.status = 'held'
       returning s.event_id, s.seat_id, s.section_id, s.status, s.version
     ), audit as (
       insert into seat_events (event_id, seat_id, from_status, to_status, reservation_id, order_id, actor, reason)
       select event_id, seat_id, 'held', 'sold', $1, $2, $3, 'payment succeeded' from sold
     )
     select * from sold order by event_id, seat_id`,
    values: [reservationId, orderId, input.actor ?? 'checkout'],
  });
  if (sold.rows.length !== held.length) {
    // Only possible without the row locks of a transaction: never report a partial commit as success.
    throw notHeld(`reservation ${reservationId} lost seats while committing`);
  }
  const changes = [...alreadySold.map(toChange), ...sold.rows.map(toChange)];
  return {
    seatIds: changes.map((change) => change.seatId).sort(),
    changes,
  };
}

/**
 * Returns a reservation's held seats to sale (held -> available). Idempotent: a repeat finds nothing
 * held and returns no seats. Never touches sold seats or seats another reservation holds.
 */
export async function releaseSeatsTx(q: Queryable, input: ReleaseInput): Promise<Transition> {
  const { rows } = await q.query<ChangeRow>({
    name: 'inventory.release',
    text: `with target as (
       select event_id, seat_id from seats
        where reservation_id = $1 and status = 'held'
        order by event_id, seat_id
          for update
     ), released as (
       update seats s
          set status = 'available', reservation_id = null, buyer_id = null, held_until = null,
              version = s.version + 1
         from target t
        where s.event_id = t.event_id and s.seat_id = t.seat_id and s.status = 'held'
       returning s.event_id, s.seat_id, s.section_id, s.status, s.version
     ), audit as (
       insert into seat_events (event_id, seat_id, from_status, to_status, reservation_id, actor, reason)
       select event_id, seat_id, 'held', 'available', $1, $2, $3 from released
     )
     select * from released order by event_id, seat_id`,
    values: [input.reservationId, input.actor, input.reason],
  });
  return { seatIds: rows.map((row) => row.seat_id), changes: rows.map(toChange) };
}

/**
 * Voids sold seats of an order for a refund that returns them to sale (sold -> available). Seats not
 * sold to that order are left alone, so a repeat voids nothing more; the result names what moved.
 */
export async function voidSeatsTx(q: Queryable, input: VoidInput): Promise<Transition> {
  const { rows } = await q.query<ChangeRow>({
    name: 'inventory.void',
    text: `with target as (
       select event_id, seat_id, reservation_id from seats
        where event_id = $1 and order_id = $2 and seat_id = any($3::text[]) and status = 'sold'
        order by seat_id
          for update
     ), voided as (
       update seats s
          set status = 'available', reservation_id = null, buyer_id = null, order_id = null,
              held_until = null, version = s.version + 1
         from target t
        where s.event_id = t.event_id and s.seat_id = t.seat_id
       returning s.event_id, s.seat_id, s.section_id, s.status, s.version, t.reservation_id
     ), audit as (
       insert into seat_events (event_id, seat_id, from_status, to_status, reservation_id, order_id, actor, reason)
       select event_id, seat_id, 'sold', 'available', reservation_id, $2, $4, $5 from voided
     )
     select event_id, seat_id, section_id, status, version from voided order by seat_id`,
    values: [input.eventId, input.orderId, input.seatIds, input.actor, input.reason],
  });
  return { seatIds: rows.map((row) => row.seat_id), changes: rows.map(toChange) };
}

/** The committed state of some seats, for refreshing the seat map after a change made elsewhere. */
export async function readSeatChanges(
  q: Queryable,
  eventId: string,
  seatIds: string[],
): Promise<SeatChange[]> {
  const { rows } = await q.query<ChangeRow>(
    `select event_id, seat_id, section_id, status, version, held_until from seats
      where event_id = $1 and seat_id = any($2::text[])`,
    [eventId, seatIds],
  );
  return rows.map(toChange);
}

/**
 * The seats `reservationId` holds among `seatIds`, with their prices, in the order of `seatIds`: a
 * retried hold's answer read from Postgres. Fewer seats than asked means the hold is no longer whole.
 */
export async function heldSeatsOf(
  q: Queryable,
  input: { eventId: string; reservationId: string; seatIds: string[] },
): Promise<{ id: string; price: number }[]> {
  const { rows } = await q.query<{ seat_id: string; price: string }>(
    `select seat_id, price from seats
      where event_id = $1 and seat_id = any($2::text[]) and reservation_id = $3 and status = 'held'`,
    [input.eventId, input.seatIds, input.reservationId],
  );
  const prices = new Map(rows.map((row) => [row.seat_id, Number(row.price)]));
  return input.seatIds.flatMap((id) => {
    const price = prices.get(id);
    return price === undefined ? [] : [{ id, price }];
  });
}
