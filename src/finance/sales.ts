// Owns an event's sales view for its organizer, from Postgres (the judge): seats sold, held and
// available per section and price tier with their face value; the money charged and refunded as the
// payments and refunds audit record it (the figures the reconciliation report checks against the
// gateway); orders and valid tickets; and the checkout funnel from the reservations' outcomes and the
// declined payment attempts.
import type { Queryable } from '../platform/db';

export interface TierSales {
  /** The tier's seat price, minor units. */
  price: number;
  sold: number;
  held: number;
  available: number;
  /** Face value of the seats sold (sold x price). */
  revenue: number;
}

export interface SectionSales extends Omit<TierSales, 'price'> {
  id: string;
  name: string;
  tiers: TierSales[];
}

export interface SalesView {
  eventId: string;
  currency: string;
  sections: SectionSales[];
  seats: { total: number; sold: number; held: number; available: number };
  /** Money as the payments and refunds audit record it (succeeded only), minor units. */
  revenue: { gross: number; refunded: number; net: number };
  refunds: { count: number; amount: number };
  orders: { total: number; paid: number; partiallyRefunded: number; refunded: number; validTickets: number };
  funnel: {
    /** Every hold granted (each is a reservation). */
    holds: number;
    confirms: number;
    /** Declined card attempts (a reservation may see several before it confirms or ends). */
    declines: number;
    expiries: number;
    cancels: number;
    /** Released by support. */
    releases: number;
    failures: number;
    /** Reservations still held or paying. */
    open: number;
  };
}

const n = (value: string | number | null | undefined) => Number(value ?? 0);

/** The sales view of an event; undefined when there is no such event. */
export async function salesView(
  q: Queryable,
  eventId: string,
  graceSeconds: number,
): Promise<SalesView | undefined> {
  const event = await q.query<{ currency: string }>('select currency from events where id = $1', [eventId]);
  const currency = event.rows[0]?.currency;
  if (currency === undefined) return undefined;
  const [tiers, money, orders, funnel] = await Promise.all([
    q.query<{
      section_id: string;
      name: string;
      price: string;
      sold: string;
      held: string;
      available: string;
      revenue: string;
    }>(
      // A hold past its lease by the grace is on sale again, as the seat map and the hold treat it.
      `select c.section_id, c.name, t.price, t.sold, t.held, t.available, t.revenue
         from sections c
         join (
           select section_id, price,
                  count(*) filter (where status = 'sold') as sold,
                  count(*) filter (where status = 'held' and not lapsed) as held,
                  count(*) filter (where status = 'available' or lapsed) as available,
                  coalesce(sum(price) filter (where status = 'sold'), 0) as revenue
             from (
               select section_id, price, status,
                      coalesce(status = 'held' and held_until < now() - make_interval(secs => $2), false) as lapsed
                 from seats
                where event_id = $1
             ) s
            group by section_id, price
         ) t on t.section_id = c.section_id
        where c.event_id = $1
        order by c.position, t.price desc`,
      [eventId, graceSeconds],
    ),
    q.query<{ gross: string; refunded: string; refund_count: string }>(
      `select (select coalesce(sum(p.amount), 0) from payments p join reservations r on r.id = p.reservation_id
                where r.event_id = $1 and p.status = 'SUCCEEDED') as gross,
              (select coalesce(sum(f.amount), 0) from refunds f join reservations r on r.id = f.reservation_id
                where r.event_id = $1 and f.status = 'SUCCEEDED') as refunded,
              (select count(*) from refunds f join reservations r on r.id = f.reservation_id
                where r.event_id = $1 and f.status = 'SUCCEEDED') as refund_count`,
      [eventId],
    ),
    q.query<{ total: string; paid: string; partial: string; refunded: string; valid_tickets: string }>(
      `select count(*) as total,
              count(*) filter (where status = 'PAID') as paid,
              count(*) filter (where status = 'PARTIALLY_REFUNDED') as partial,
              count(*) filter (where status = 'REFUNDED') as refunded,
              (select count(*) from tickets t where t.event_id = $1 and t.status = 'VALID') as valid_tickets
         from orders where event_id = $1`,
      [eventId],
    ),
    q.query<{ status: string; count: string }>(
      `select status, count(*) as count from reservations where event_id = $1 group by status
       union all
       select 'DECLINED_ATTEMPTS', count(*) from payments p join reservations r on r.id = p.reservation_id
        where r.event_id = $1 and p.status = 'DECLINED'`,
      [eventId],
    ),
  ]);

  const sections: SectionSales[] = [];
  for (const row of tiers.rows) {
    const tier = {
      price: n(row.price),
      sold: n(row.sold),
      held: n(row.held),
      available: n(row.available),
      revenue: n(row.revenue),
    };
    let section = sections[sections.length - 1];
    if (section?.id !== row.section_id) {
      section = { id: row.section_id, name: row.name, sold: 0, held: 0, available: 0, revenue: 0, tiers: [] };
      sections.push(section);
    }
    section.tiers.push(tier);
    section.sold += tier.sold;
    section.held += tier.held;
    section.available += tier.available;
    section.revenue += tier.revenue;
  }
  const sum = (field: 'sold' | 'held' | 'available') => sections.reduce((total, s) => total + s[field], 0);
  const seats = { sold: sum('sold'), held: sum('held'), available: sum('available') };

  const byStatus = new Map(funnel.rows.map((row) => [row.status, n(row.count)]));
  const count = (status: string) => byStatus.get(status) ?? 0;
  const { gross, refunded, refund_count: refundCount } = money.rows[0] ?? {};
  const orderRow = orders.rows[0];
  return {
    eventId,
    currency: currency.trim(),
    sections,
    seats: { total: seats.sold + seats.held + seats.available, ...seats },
    revenue: { gross: n(gross), refunded: n(refunded), net: n(gross) - n(refunded) },
    refunds: { count: n(refundCount), amount: n(refunded) },
    orders: {
      total: n(orderRow?.total),
      paid: n(orderRow?.paid),
      partiallyRefunded: n(orderRow?.partial),
      refunded: n(orderRow?.refunded),
      validTickets: n(orderRow?.valid_tickets),
    },
    funnel: {
      holds: [...byStatus].reduce(
        (total, [status, value]) =>
          status === 'REJECTED' || status === 'DECLINED_ATTEMPTS' ? total : total + value,
        0,
      ),
      confirms: count('CONFIRMED'),
      declines: count('DECLINED_ATTEMPTS'),
      expiries: count('EXPIRED'),
      cancels: count('CANCELLED'),
      releases: count('RELEASED'),
      failures: count('FAILED'),
      open: count('HELD') + count('PAYING'),
    },
  };
}
