// Owns DESIGN.md's invariants 1-6 as the chaos run checks them after the sale, from Postgres (seats, the
// seat_events audit replayed in order, tickets, orders), the payment gateway (the fixture's PaymentIntents
// and refunds) and the lease probes of settle.ts. Each violation names its reservation, seat or buyer.

import type Stripe from 'stripe';
import type { Pool } from '../../src/platform/db';
import type { Sale } from './buyers';
import type { LeaseProbe } from './settle';

export const invariantNames = {
  1: 'no seat held or sold by two reservations',
  2: 'a hold is all-or-nothing',
  3: 'sold seats <=> succeeded payments net of refunds',
  4: 'no double charge',
  5: 'no seat held without a running workflow past lease + grace',
  6: 'a buyer never holds + owns more than maxSeatsPerBuyer',
  audit: 'every seat transition is in seat_events, in order',
} as const;
export type InvariantId = keyof typeof invariantNames;

export interface Violation {
  invariant: InvariantId;
  message: string;
  reservationId?: string;
  seatId?: string;
  buyerId?: string;
}

export interface SeatEvent {
  id: number;
  seat_id: string;
  from_status: string;
  to_status: string;
  reservation_id: string | null;
  buyer_id: string | null;
  reason: string;
}

export interface SeatRow {
  seat_id: string;
  status: string;
  reservation_id: string | null;
  order_id: string | null;
  price: number;
}

/** What the checks need of the sale: its event and who asked for how many seats under each reservation. */
export type SaleFacts = Pick<Sale, 'eventId' | 'requests'>;

export interface InvariantReport {
  violations: Violation[];
  /** Seats a reservation took over from another whose workflow was gone (lease reclaims): allowed. */
  leaseReclaims: number;
  /** Reservations charged twice at the gateway, the extra charge refunded (no money kept twice). */
  extraChargesRefunded: string[];
}

export async function checkInvariants(
  pool: Pool,
  sale: SaleFacts,
  gateway: { paymentIntents: Stripe.PaymentIntent[]; refunds: Stripe.Refund[] },
  probes: LeaseProbe[],
): Promise<InvariantReport> {
  const eventId = sale.eventId;
  const [events, seats, tickets, limit] = await Promise.all([
    pool.query<SeatEvent>(
      `select e.id, e.seat_id, e.from_status, e.to_status, e.reservation_id, r.buyer_id, e.reason
         from seat_events e left join reservations r on r.id = e.reservation_id
        where e.event_id = $1 order by e.id`,
      [eventId],
    ),
    pool.query<SeatRow>(
      'select seat_id, status, reservation_id, order_id, price from seats where event_id = $1',
      [eventId],
    ),
    pool.query<{ seat_id: string; order_id: string; reservation_id: string }>(
      `select t.seat_id, t.order_id, o.reservation_id from tickets t join orders o on o.id = t.order_id
        where t.event_id = $1 and t.status = 'VALID'`,
      [eventId],
    ),
    pool.query<{ max_seats_per_buyer: number }>('select max_seats_per_buyer from events where id = $1', [
      eventId,
    ]),
  ]);
  const replay = replayAudit(events.rows, seats.rows, sale, limit.rows[0]?.max_seats_per_buyer ?? 0);
  const violations = [
    ...replay.violations,
    ...ticketChecks(seats.rows, tickets.rows),
    ...moneyChecks(sale, seats.rows, gateway),
    ...probes
      .filter((probe) => !probe.backOnSale)
      .map(
        (probe): Violation => ({
          invariant: 5,
          seatId: probe.seatId,
          reservationId: probe.reservationId,
          message: `held past its lease (${probe.heldUntil}) + grace, workflow ${probe.workflowStatus}; a new hold answered ${probe.probe}`,
        }),
      ),
  ];
  return {
    violations,
    leaseReclaims: replay.leaseReclaims,
    extraChargesRefunded: extraChargesRefunded(sale.eventId, gateway),
  };
}

/**
 * Replays seat_events in order: who owns each seat (invariant 1), each hold's size against what was
 * asked (2), each buyer's seats at every moment (6), and the trail against the seats table (audit).
 */
export function replayAudit(events: SeatEvent[], seats: SeatRow[], sale: SaleFacts, limit: number) {
  const violations: Violation[] = [];
  const owner = new Map<string, { status: string; reservationId?: string; buyerId?: string }>();
  const buyerSeats = new Map<string, Set<string>>();
  const worstBuyer = new Map<string, number>();
  const takeovers: { seatId: string; from: string; to: string; eventId: number }[] = [];
  /** Per reservation: the sizes of its holds (runs of its own consecutive `-> held` events). */
  const holdRuns = new Map<string, number[]>();
  const lastOf = new Map<string, { heldRun: boolean }>();

  for (const event of events) {
    const seatId = event.seat_id;
    const current = owner.get(seatId) ?? { status: 'available' };
    const by = event.reservation_id ?? undefined;
    if (event.from_status !== current.status) {
      violations.push({
        invariant: 'audit',
        seatId,
        reservationId: by,
        message: `event ${event.id} moves ${event.from_status} -> ${event.to_status} but the trail had it ${current.status}`,
      });
    }
    if (event.to_status !== 'available' && current.reservationId && by && by !== current.reservationId) {
      takeovers.push({ seatId, from: current.reservationId, to: by, eventId: event.id });
    }
    if (event.to_status === 'available' && current.reservationId && by && by !== current.reservationId) {
      violations.push({
        invariant: 1,
        seatId,
        reservationId: by,
        message: `${by} released a seat that ${current.reservationId} owned (event ${event.id})`,
      });
    }
    // Hold sizes: a reservation's consecutive events that take seats into `held` from someone else.
    if (by && event.to_status === 'held' && current.reservationId !== by) {
      const runs = holdRuns.get(by) ?? [];
      if (lastOf.get(by)?.heldRun) runs[runs.length - 1] = (runs[runs.length - 1] ?? 0) + 1;
      else runs.push(1);
      holdRuns.set(by, runs);
      lastOf.set(by, { heldRun: true });
    } else if (by) {
      lastOf.set(by, { heldRun: false });
    }
    // The buyer's seats, held or sold, at this moment. A lapsed lease still counts here until its lapse is
    // audited; no chaos buyer holds again after a reservation of theirs ends, so none is counted wrongly.
    const next =
      event.to_status === 'available'
        ? { status: 'available' }
        : {
            status: event.to_status,
            reservationId: by,
            // The harness knows who asked for each reservation, even before its row is written.
            buyerId: (by && sale.requests.get(by)?.buyerId) || event.buyer_id || undefined,
          };
    if (current.buyerId !== next.buyerId) {
      if (current.buyerId) buyerSeats.get(current.buyerId)?.delete(seatId);
      if (next.buyerId) {
        const owned = buyerSeats.get(next.buyerId) ?? new Set<string>();
        owned.add(seatId);
        buyerSeats.set(next.buyerId, owned);
        worstBuyer.set(next.buyerId, Math.max(worstBuyer.get(next.buyerId) ?? 0, owned.size));
      }
    }
    owner.set(seatId, next);
  }

  // A takeover is a lease reclaim only if the earlier owner never acts on the seat again.
  let leaseReclaims = 0;
  for (const takeover of takeovers) {
    const again = events.some(
      (event) =>
        event.id > takeover.eventId &&
        event.seat_id === takeover.seatId &&
        event.reservation_id === takeover.from,
    );
    if (!again) {
      leaseReclaims += 1;
      continue;
    }
    violations.push({
      invariant: 1,
      seatId: takeover.seatId,
      reservationId: takeover.to,
      message: `${takeover.to} took the seat while ${takeover.from} still acted on it (event ${takeover.eventId})`,
    });
  }
  for (const [reservationId, runs] of holdRuns) {
    const asked = sale.requests.get(reservationId)?.seats;
    for (const size of runs) {
      if (asked !== undefined && size !== asked) {
        violations.push({
          invariant: 2,
          reservationId,
          message: `a hold took ${size} of the ${asked} seats asked for`,
        });
      }
    }
  }
  const ownedNow = new Map<string, number>();
  for (const seat of seats) {
    if (seat.reservation_id) ownedNow.set(seat.reservation_id, (ownedNow.get(seat.reservation_id) ?? 0) + 1);
    const traced = owner.get(seat.seat_id) ?? { status: 'available' };
    if (traced.status !== seat.status || (traced.reservationId ?? null) !== seat.reservation_id) {
      violations.push({
        invariant: 'audit',
        seatId: seat.seat_id,
        message: `seats says ${seat.status}/${seat.reservation_id}, its trail ends ${traced.status}/${traced.reservationId}`,
      });
    }
  }
  for (const [reservationId, count] of ownedNow) {
    const asked = sale.requests.get(reservationId)?.seats;
    if (asked !== undefined && count !== asked) {
      violations.push({
        invariant: 2,
        reservationId,
        message: `owns ${count} of the ${asked} seats it asked for`,
      });
    }
  }
  for (const [buyerId, most] of worstBuyer) {
    if (most > limit) {
      violations.push({
        invariant: 6,
        buyerId,
        message: `held + owned ${most} seats at once (limit ${limit})`,
      });
    }
  }
  return { violations, leaseReclaims };
}

/** Tickets against seats: one valid ticket per sold seat, of the reservation that bought it. */
export function ticketChecks(
  seats: SeatRow[],
  tickets: { seat_id: string; order_id: string; reservation_id: string }[],
): Violation[] {
  const violations: Violation[] = [];
  const bySeat = new Map<string, { order_id: string; reservation_id: string }[]>();
  for (const ticket of tickets) bySeat.set(ticket.seat_id, [...(bySeat.get(ticket.seat_id) ?? []), ticket]);
  for (const [seatId, valid] of bySeat) {
    if (valid.length > 1) {
      violations.push({
        invariant: 1,
        seatId,
        message: `${valid.length} valid tickets (${valid.map((t) => t.reservation_id).join(', ')})`,
      });
    }
  }
  for (const seat of seats) {
    const valid = bySeat.get(seat.seat_id) ?? [];
    if (seat.status === 'sold' && !valid.some((t) => t.reservation_id === seat.reservation_id)) {
      violations.push({
        invariant: 3,
        seatId: seat.seat_id,
        reservationId: seat.reservation_id ?? undefined,
        message: 'sold without a valid ticket of the reservation that owns it',
      });
    }
    if (seat.status !== 'sold' && valid.length > 0) {
      violations.push({
        invariant: 3,
        seatId: seat.seat_id,
        reservationId: valid[0]?.reservation_id,
        message: `a valid ticket for a seat that is ${seat.status}`,
      });
    }
  }
  return violations;
}

/** Per reservation: money the gateway kept (net of refunds) against the seats it bought; charges. */
export function moneyChecks(
  sale: SaleFacts,
  seats: SeatRow[],
  gateway: { paymentIntents: Stripe.PaymentIntent[]; refunds: Stripe.Refund[] },
): Violation[] {
  const violations: Violation[] = [];
  const refunded = refundedByIntent(gateway.refunds);
  const kept = new Map<string, number>();
  const charges = new Map<string, Stripe.PaymentIntent[]>();
  for (const intent of gateway.paymentIntents) {
    if (intent.metadata.eventId !== sale.eventId || intent.status !== 'succeeded') continue;
    const reservationId = intent.metadata.reservationId ?? '?';
    kept.set(
      reservationId,
      (kept.get(reservationId) ?? 0) + intent.amount_received - (refunded.get(intent.id) ?? 0),
    );
    charges.set(reservationId, [...(charges.get(reservationId) ?? []), intent]);
  }
  const soldValue = new Map<string, number>();
  for (const seat of seats) {
    if (seat.status === 'sold' && seat.reservation_id) {
      soldValue.set(seat.reservation_id, (soldValue.get(seat.reservation_id) ?? 0) + seat.price);
    }
  }
  for (const reservationId of new Set([...kept.keys(), ...soldValue.keys()])) {
    const money = kept.get(reservationId) ?? 0;
    const value = soldValue.get(reservationId) ?? 0;
    if (money !== value) {
      violations.push({
        invariant: 3,
        reservationId,
        message:
          money > value
            ? `the gateway kept ${money} for seats worth ${value} (money without ticket)`
            : `seats worth ${value} sold for ${money} kept at the gateway (ticket without money)`,
      });
    }
  }
  for (const [reservationId, intents] of charges) {
    const attempts = intents.map((intent) => intent.metadata.attempt);
    const repeated = attempts.filter((attempt, i) => attempts.indexOf(attempt) !== i);
    if (repeated.length > 0) {
      violations.push({
        invariant: 4,
        reservationId,
        message: `attempt ${repeated.join(', ')} charged more than once (${intents.map((i) => i.id).join(', ')})`,
      });
    }
    const unrefunded = intents.filter((intent) => (refunded.get(intent.id) ?? 0) < intent.amount_received);
    if (unrefunded.length > 1) {
      violations.push({
        invariant: 4,
        reservationId,
        message: `${unrefunded.length} charges kept (${unrefunded.map((i) => i.id).join(', ')})`,
      });
    }
  }
  return violations;
}

function refundedByIntent(refunds: Stripe.Refund[]): Map<string, number> {
  const refunded = new Map<string, number>();
  for (const refund of refunds) {
    if (refund.status !== 'succeeded' && refund.status !== 'pending') continue;
    const intent =
      typeof refund.payment_intent === 'string' ? refund.payment_intent : refund.payment_intent?.id;
    if (intent) refunded.set(intent, (refunded.get(intent) ?? 0) + refund.amount);
  }
  return refunded;
}

function extraChargesRefunded(
  eventId: string,
  gateway: { paymentIntents: Stripe.PaymentIntent[]; refunds: Stripe.Refund[] },
) {
  const refunded = refundedByIntent(gateway.refunds);
  const byReservation = new Map<string, number>();
  for (const intent of gateway.paymentIntents) {
    if (intent.status !== 'succeeded' || intent.metadata.eventId !== eventId) continue;
    const id = intent.metadata.reservationId ?? '?';
    byReservation.set(id, (byReservation.get(id) ?? 0) + 1);
  }
  return [...byReservation]
    .filter(([, count]) => count > 1)
    .map(([id]) => id)
    .filter((id) =>
      gateway.paymentIntents.some(
        (intent) => intent.metadata.reservationId === id && refunded.get(intent.id),
      ),
    );
}
