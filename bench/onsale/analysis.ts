// Owns what one onsale's records add up to: latencies of admitted buyers, 202s and 5xx, time to sell out,
// fairness (Kendall's tau of join order against admission order), bots against humans, and the
// invariants in Postgres and the payment gateway.
import { eventInvariants } from '../flash-sale/invariants';
import type { Stack, StackParams } from '../flash-sale/stack';
import { latency } from '../lib/stats';
import { kendallTau } from './fairness';
import type { OnsaleParams } from './options';
import type { runOnsale } from './sale';

type Onsale = Awaited<ReturnType<typeof runOnsale>>;

export async function analyse(
  stack: Stack<StackParams>,
  params: OnsaleParams,
  sale: Onsale,
  flagged: number,
) {
  const { records, room } = sale;
  const shoppers = records.filter((r) => r.holds.length > 0);
  const holds = shoppers.flatMap((r) => r.holds);
  const confirms = shoppers.flatMap((r) => (r.confirm ? [r.confirm] : []));
  const humans = records.filter((r) => !r.bot);
  const bots = records.filter((r) => r.bot);
  const bought = (group: typeof records) => group.filter((r) => r.outcome === 'bought').length;
  const admitted = (group: typeof records) => group.filter((r) => r.admittedAt !== undefined);

  const { rows } = await stack.pool.query<{ last: Date | null }>(
    'select max(created_at) as last from orders where event_id = $1',
    [sale.eventId],
  );
  const lastSale = rows[0]?.last;
  const soldOutSeconds = lastSale ? (lastSale.getTime() - Date.parse(sale.openAt)) / 1000 : null;

  const kendallOf = (group: typeof records) =>
    kendallTau(admitted(group).map((r) => ({ a: r.arrivedAt, b: r.admittedAt as number })));
  const invariants = await eventInvariants(stack.pool, sale.eventId, params.seats);
  const succeededIntents = stack.fixture
    .paymentIntents()
    .filter((pi) => pi.metadata.eventId === sale.eventId && pi.status === 'succeeded').length;
  const { rows: orderRows } = await stack.pool.query<{ n: number }>(
    'select count(*)::int as n from orders where event_id = $1',
    [sale.eventId],
  );
  const orders = orderRows[0]?.n ?? 0;

  return {
    room,
    eventId: sale.eventId,
    buyers: humans.length,
    holds: latency(holds.filter((h) => h.status === 201 || h.status === 409).map((h) => h.ms)),
    holdAnswers: countBy(holds.map((h) => String(h.status))),
    holds202: holds.filter((h) => h.firstStatus === 202).length,
    holdsTotal: holds.length,
    confirms: latency(confirms.map((c) => c.ms)),
    confirmAnswers: countBy(confirms.map((c) => String(c.status))),
    confirmsNot200: confirms.filter((c) => c.status !== 200).length,
    serverErrors: records.reduce((sum, r) => sum + r.serverErrors, 0),
    outcomes: countBy(records.map((r) => r.outcome)),
    soldOutSeconds,
    fairness: {
      postOpenKendall: round(kendallOf(humans.filter((r) => !r.preQueue)), 3),
      preQueueKendall: round(kendallOf(humans.filter((r) => r.preQueue)), 3),
      admittedPostOpen: admitted(humans.filter((r) => !r.preQueue)).length,
      admittedPreQueue: admitted(humans.filter((r) => r.preQueue)).length,
    },
    bots: {
      count: bots.length,
      admitted: admitted(bots).length,
      bought: bought(bots),
      attempts: bots.reduce((sum, r) => sum + r.attempts, 0),
      admittedPerPerson: bots.length ? round(admitted(bots).length / bots.length, 4) : 0,
      humansAdmittedPerPerson: round(admitted(humans).length / Math.max(1, humans.length), 4),
      humansBoughtPerPerson: round(bought(humans) / Math.max(1, humans.length), 4),
      botsBoughtPerPerson: bots.length ? round(bought(bots) / bots.length, 4) : 0,
      humanAttemptsPerAdmission: round(
        humans.reduce((sum, r) => sum + r.attempts, 0) / Math.max(1, admitted(humans).length),
        2,
      ),
      flagged,
    },
    samples: sale.samples,
    invariants: { ...invariants, orders, succeededIntents },
  };
}

export type OnsaleResult = Awaited<ReturnType<typeof analyse>>;

function countBy(values: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}

const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;
