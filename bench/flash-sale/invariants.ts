// Owns what a flash sale must never break, checked in Postgres and the payment fixture after the run:
// sold == seats, nothing oversold, one charge per order, no workflow started for a fast rejection.
import type pg from 'pg';
import type { fastRejections, rushPhase, steadyPhase } from './phases';
import type { Stack } from './stack';

type Rush = Awaited<ReturnType<typeof rushPhase>>['rush'];
type Steady = Awaited<ReturnType<typeof steadyPhase>>;
type Rejects = Awaited<ReturnType<typeof fastRejections>>;

/** The seats, tickets and payments of one event, as the database has them. */
export async function eventInvariants(pool: pg.Pool, eventId: string, expectedSold: number) {
  const one = async (sql: string) => (await pool.query<{ n: number }>(sql, [eventId])).rows[0]?.n ?? 0;
  const { rows } = await pool.query<{ status: string; n: number }>(
    'select status, count(*)::int as n from seats where event_id = $1 group by status',
    [eventId],
  );
  const seats = Object.fromEntries(rows.map((row) => [row.status, row.n]));
  return {
    expectedSold,
    sold: seats.sold ?? 0,
    held: seats.held ?? 0,
    available: seats.available ?? 0,
    oversoldSeats: await one(
      `select count(*)::int as n from (select seat_id from tickets where event_id = $1
        group by seat_id having count(*) > 1) oversold`,
    ),
    soldWithoutTicket: await one(
      `select count(*)::int as n from seats s where s.event_id = $1 and s.status = 'sold'
          and not exists (select 1 from tickets t where t.event_id = s.event_id and t.seat_id = s.seat_id)`,
    ),
    succeededPayments: await one(
      `select count(*)::int as n from payments p join reservations r on r.id = p.reservation_id
        where r.event_id = $1 and p.status = 'SUCCEEDED'`,
    ),
    doubleCharged: await one(
      `select count(*)::int as n from (select p.reservation_id from payments p
         join reservations r on r.id = p.reservation_id
        where r.event_id = $1 and p.status = 'SUCCEEDED' group by p.reservation_id having count(*) > 1) twice`,
    ),
  };
}

export type Invariants = Awaited<ReturnType<typeof checkInvariants>>;

/** Both sales in the database, and the charges the payment gateway (the fixture) actually made. */
export async function checkInvariants(stack: Stack, rush: Rush, steady: Steady) {
  const { pool, fixture } = stack;
  const rushInvariants = await eventInvariants(pool, rush.eventId, rush.seatsWanted);
  const steadyInvariants = await eventInvariants(pool, steady.eventId, steady.checkouts);
  const charged = (eventId: string) =>
    fixture.paymentIntents().filter((pi) => pi.metadata.eventId === eventId && pi.status === 'succeeded')
      .length;
  const gateway = {
    rushSucceededPaymentIntents: charged(rush.eventId),
    steadySucceededPaymentIntents: charged(steady.eventId),
  };
  return { rush: rushInvariants, steady: steadyInvariants, gateway };
}

/** The invariants as pass/fail targets of the results. */
export function invariantTargets(invariants: Invariants, rejects: Rejects) {
  const rush = invariants.rush;
  return {
    soldEqualsSeats: rush.sold === rush.expectedSold,
    oversoldZero: rush.oversoldSeats === 0,
    oneChargePerOrder:
      rush.doubleCharged === 0 && invariants.gateway.rushSucceededPaymentIntents === rush.sold,
    noWorkflowForRejects: rejects.workflowsStarted === 0,
  };
}

/** The targets whose failure fails the run (exit code 1): the checkout's correctness, not its speed. */
export function brokenInvariants(targets: Record<string, boolean>): string[] {
  const mustHold = ['soldEqualsSeats', 'oversoldZero', 'oneChargePerOrder'];
  return Object.entries(targets)
    .filter(([name, ok]) => !ok && mustHold.includes(name))
    .map(([name]) => name);
}
