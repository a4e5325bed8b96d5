// Owns counting the seats still held after their lease (held_until) ended. Every hold's workflow releases
// or sells its seats by its deadline, which the lease follows, so any such seat is a checkout that is late
// or gone (DESIGN.md, invariant 5): the operators' alert, read at scrape time.
import type { Queryable } from '../platform/db';

export async function countSeatsHeldPastLease(q: Queryable): Promise<number> {
  const { rows } = await q.query<{ seats: number }>({
    name: 'inventory.past-lease.count',
    text: `select count(*)::int as seats from seats where status = 'held' and held_until < now()`,
  });
  return rows[0]?.seats ?? 0;
}
