// The chaos run's invariant checks (bench/chaos/invariants.ts) on made-up audit trails, seats and gateway
// records: a clean sale passes, and each kind of broken one is named under its invariant. No services.
import type Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import {
  moneyChecks,
  replayAudit,
  type SeatEvent,
  type SeatRow,
  ticketChecks,
} from '../../bench/chaos/invariants';

const eventId = 'evt_chaos';
let nextId = 1;
const move = (
  seat_id: string,
  from_status: string,
  to_status: string,
  reservation_id: string,
): SeatEvent => ({
  id: nextId++,
  seat_id,
  from_status,
  to_status,
  reservation_id,
  buyer_id: null,
  reason: 'test',
});
const seat = (seat_id: string, status: string, reservation_id: string | null = null): SeatRow => ({
  seat_id,
  status,
  reservation_id,
  order_id: status === 'sold' ? `ord_${reservation_id}` : null,
  price: 5000,
});
const charge = (reservationId: string, id: string, attempt = '1'): Stripe.PaymentIntent =>
  ({
    id,
    status: 'succeeded',
    amount_received: 5000,
    metadata: { eventId, reservationId, attempt },
  }) as unknown as Stripe.PaymentIntent;
const refund = (paymentIntentId: string): Stripe.Refund =>
  ({
    id: `re_${paymentIntentId}`,
    payment_intent: paymentIntentId,
    amount: 5000,
    status: 'succeeded',
  }) as Stripe.Refund;

const sale = (requests: Record<string, [buyerId: string, seats: number]>) => ({
  eventId,
  requests: new Map(Object.entries(requests).map(([id, [buyerId, seats]]) => [id, { buyerId, seats }])),
});
const invariantsOf = (violations: { invariant: unknown }[]) => violations.map((v) => v.invariant);

describe('the chaos invariants', () => {
  it('find nothing in a clean sale: a sale, a release, a lease reclaim', () => {
    const facts = sale({ r1: ['ann', 2], r2: ['bob', 1], r3: ['cy', 1] });
    const events = [
      move('A-1-1', 'available', 'held', 'r1'),
      move('A-1-2', 'available', 'held', 'r1'),
      move('A-1-3', 'available', 'held', 'r2'),
      move('A-1-1', 'held', 'sold', 'r1'),
      move('A-1-2', 'held', 'sold', 'r1'),
      // r2's workflow is gone; r3 takes the seat once the lease has lapsed, and r2 never acts again.
      move('A-1-3', 'held', 'held', 'r3'),
    ];
    const seats = [seat('A-1-1', 'sold', 'r1'), seat('A-1-2', 'sold', 'r1'), seat('A-1-3', 'held', 'r3')];
    const replay = replayAudit(events, seats, facts, 4);
    expect(replay).toEqual({ violations: [], leaseReclaims: 1 });
    const tickets = ['A-1-1', 'A-1-2'].map((seat_id) => ({
      seat_id,
      order_id: 'ord_r1',
      reservation_id: 'r1',
    }));
    expect(ticketChecks(seats, tickets)).toEqual([]);
    const paid = { ...charge('r1', 'pi_1'), amount_received: 10_000 } as Stripe.PaymentIntent;
    const gateway = { paymentIntents: [paid], refunds: [] };
    expect(moneyChecks(facts, seats, gateway)).toEqual([]);
  });

  it('name a seat taken from a reservation that still acts on it, and two valid tickets (1)', () => {
    const facts = sale({ r1: ['ann', 1], r2: ['bob', 1] });
    const events = [
      move('A-1-1', 'available', 'held', 'r1'),
      move('A-1-1', 'held', 'held', 'r2'),
      move('A-1-1', 'held', 'sold', 'r1'),
    ];
    const replay = replayAudit(events, [seat('A-1-1', 'sold', 'r1')], facts, 4);
    expect(invariantsOf(replay.violations)).toEqual([1]);
    const tickets = ['r1', 'r2'].map((r) => ({ seat_id: 'A-1-1', order_id: `ord_${r}`, reservation_id: r }));
    expect(invariantsOf(ticketChecks([seat('A-1-1', 'sold', 'r1')], tickets))).toEqual([1]);
  });

  it('name a hold that took part of what was asked (2)', () => {
    const facts = sale({ r1: ['ann', 2] });
    const replay = replayAudit(
      [move('A-1-1', 'available', 'held', 'r1')],
      [seat('A-1-1', 'held', 'r1')],
      facts,
      4,
    );
    expect(invariantsOf(replay.violations)).toEqual([2, 2]);
  });

  it('name money without a ticket, a ticket without money and a sold seat without a ticket (3)', () => {
    const facts = sale({ r1: ['ann', 1], r2: ['bob', 1] });
    const seats = [seat('A-1-1', 'sold', 'r1'), seat('A-1-2', 'available')];
    const gateway = { paymentIntents: [charge('r2', 'pi_2')], refunds: [] };
    expect(moneyChecks(facts, seats, gateway).map((v) => [v.invariant, v.reservationId])).toEqual([
      [3, 'r2'],
      [3, 'r1'],
    ]);
    expect(invariantsOf(ticketChecks(seats, []))).toEqual([3]);
  });

  it('name two charges kept and an attempt charged twice, not an extra charge refunded (4)', () => {
    const facts = sale({ r1: ['ann', 1] });
    const seats = [seat('A-1-1', 'sold', 'r1')];
    const twice = { paymentIntents: [charge('r1', 'pi_1'), charge('r1', 'pi_2')], refunds: [] };
    expect(moneyChecks(facts, seats, twice).map((v) => v.invariant)).toEqual([3, 4, 4]);
    const refunded = {
      paymentIntents: [charge('r1', 'pi_1'), charge('r1', 'pi_2', '2')],
      refunds: [refund('pi_2')],
    };
    expect(moneyChecks(facts, seats, refunded)).toEqual([]);
  });

  it('name a buyer holding more than the limit across reservations (6)', () => {
    const facts = sale({ r1: ['ann', 2], r2: ['ann', 1] });
    const events = [
      move('A-1-1', 'available', 'held', 'r1'),
      move('A-1-2', 'available', 'held', 'r1'),
      move('A-1-3', 'available', 'held', 'r2'),
    ];
    const seats = [seat('A-1-1', 'held', 'r1'), seat('A-1-2', 'held', 'r1'), seat('A-1-3', 'held', 'r2')];
    expect(invariantsOf(replayAudit(events, seats, facts, 2).violations)).toEqual([6]);
  });

  it('name a seat whose row says otherwise than its trail (audit)', () => {
    const replay = replayAudit([], [seat('A-1-1', 'held', 'r1')], sale({ r1: ['ann', 1] }), 4);
    expect(invariantsOf(replay.violations)).toEqual(['audit']);
  });
});
