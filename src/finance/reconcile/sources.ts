// Owns reading the three sources, read-only: Postgres rows, each reservation's workflow, the gateway's money.
import { type Client, type WorkflowExecutionInfo, WorkflowNotFoundError } from '@temporalio/client';
import type Stripe from 'stripe';
import type { ReservationView } from '../../../workflows/reservation/contract';
import {
  OrderId,
  PaymentIntentId,
  ReservationStatus as ReservationStatusKey,
} from '../../../workflows/search-attributes';
import type { Pool } from '../../platform/db';
import type { ReconcileDeps, ReconcileScope } from './types';

export interface ReservationRow {
  id: string;
  event_id: string;
  buyer_id: string;
  status: string;
  amount: number;
  currency: string;
}

export interface OrderRow {
  id: string;
  reservation_id: string;
  event_id: string;
  amount: number;
  refunded_amount: number;
  currency: string;
  payment_intent_id: string;
  status: string;
  created_at: Date;
  refund_releases_seats: boolean;
}

export interface TicketRow {
  order_id: string;
  seat_id: string;
  status: string;
  price: number | null;
}

export interface SeatRow {
  event_id: string;
  seat_id: string;
  status: 'held' | 'sold';
  reservation_id: string | null;
  order_id: string | null;
}

export interface PaymentRow {
  reservation_id: string;
  attempt: number;
  payment_intent_id: string | null;
  amount: number;
  currency: string;
  status: string;
}

export interface RefundRow {
  id: string;
  order_id: string | null;
  reservation_id: string;
  payment_intent_id: string;
  stripe_refund_id: string | null;
  amount: number;
  currency: string;
  status: string;
  created_at: Date;
}

export interface Postgres {
  reservations: ReservationRow[];
  orders: OrderRow[];
  tickets: TicketRow[];
  seats: SeatRow[];
  payments: PaymentRow[];
  refunds: RefundRow[];
}

/** What Temporal says about one reservation. */
export interface WorkflowFacts {
  /** RUNNING, COMPLETED, FAILED, TERMINATED, ... or NOT_FOUND (never started, or past retention). */
  execution: string;
  /** The reservation status: from the result when completed, from the search attribute otherwise. */
  status?: string;
  orderId?: string;
  paymentIntentId?: string;
  amount?: number;
}

export interface IntentFacts {
  intent: Stripe.PaymentIntent;
  refunds: Stripe.Refund[];
}

/** Everything the report compares, gathered once. */
export interface Sources {
  pg: Postgres;
  /** The gateway's PaymentIntents, by id, with their refunds. */
  intents: Map<string, IntentFacts>;
  /** Gateway PaymentIntents in the date range that carry no Boxoffice metadata and no reference. */
  foreignPaymentIntents: number;
  /** What Temporal says, by reservation id. */
  workflows: Map<string, WorkflowFacts>;
  /** Every reservation a source names: Postgres's, those holding seats, those the gateway charged for. */
  reservationIds: Set<string>;
}

/**
 * Reads Postgres first: the PaymentIntents it names are looked up at the gateway, then every reservation
 * either of them names is looked up in Temporal.
 */
export async function gatherSources(deps: ReconcileDeps, scope: ReconcileScope): Promise<Sources> {
  const concurrency = deps.concurrency ?? 8;
  const pg = await loadPostgres(deps.pool, scope);
  const gateway = await loadGateway(deps.stripe, scope, paymentIntentsNamedBy(pg), concurrency);
  const reservationIds = reservationsNamedBy(pg, gateway.intents);
  const workflows = await loadWorkflows(deps.temporal, scope, reservationIds, concurrency);
  return { pg, intents: gateway.intents, foreignPaymentIntents: gateway.foreign, workflows, reservationIds };
}

function paymentIntentsNamedBy(pg: Postgres): Set<string> {
  return new Set<string>([
    ...pg.orders.map((order) => order.payment_intent_id),
    ...pg.payments.flatMap((payment) => (payment.payment_intent_id ? [payment.payment_intent_id] : [])),
    ...pg.refunds.map((refund) => refund.payment_intent_id),
  ]);
}

function reservationsNamedBy(pg: Postgres, intents: Map<string, IntentFacts>): Set<string> {
  return new Set<string>([
    ...pg.reservations.map((reservation) => reservation.id),
    ...pg.seats.flatMap((seat) =>
      seat.status === 'held' && seat.reservation_id ? [seat.reservation_id] : [],
    ),
    ...[...intents.values()].flatMap(({ intent }) =>
      intent.metadata?.reservationId ? [intent.metadata.reservationId] : [],
    ),
  ]);
}

async function loadPostgres(pool: Pool, scope: ReconcileScope): Promise<Postgres> {
  const byEvent = 'eventId' in scope;
  const reservations = await pool.query<ReservationRow>(
    byEvent
      ? 'select id, event_id, buyer_id, status, amount, currency from reservations where event_id = $1'
      : 'select id, event_id, buyer_id, status, amount, currency from reservations where created_at >= $1',
    [byEvent ? scope.eventId : scope.since],
  );
  const reservationIds = reservations.rows.map((row) => row.id);
  const orders = await pool.query<OrderRow>(
    `select o.id, o.reservation_id, o.event_id, o.amount, o.refunded_amount, o.currency, o.payment_intent_id,
            o.status, o.created_at, e.refund_releases_seats
       from orders o join events e on e.id = o.event_id
      where o.reservation_id = any($1::text[]) or o.event_id = $2`,
    [reservationIds, byEvent ? scope.eventId : null],
  );
  const orderIds = orders.rows.map((row) => row.id);
  const [tickets, seats, payments, refunds] = await Promise.all([
    pool.query<TicketRow>(
      `select t.order_id, t.seat_id, t.status, s.price
         from tickets t left join seats s on s.event_id = t.event_id and s.seat_id = t.seat_id
        where t.order_id = any($1::text[])`,
      [orderIds],
    ),
    pool.query<SeatRow>(
      `select event_id, seat_id, status, reservation_id, order_id from seats
        where status <> 'available'
          and (event_id = $1 or reservation_id = any($2::text[]) or order_id = any($3::text[]))`,
      [byEvent ? scope.eventId : null, reservationIds, orderIds],
    ),
    pool.query<PaymentRow>(
      `select reservation_id, attempt, payment_intent_id, amount, currency, status from payments
        where reservation_id = any($1::text[])`,
      [reservationIds],
    ),
    pool.query<RefundRow>(
      `select id, order_id, reservation_id, payment_intent_id, stripe_refund_id, amount, currency, status, created_at
         from refunds where reservation_id = any($1::text[]) or order_id = any($2::text[])`,
      [reservationIds, orderIds],
    ),
  ]);
  return {
    reservations: reservations.rows,
    orders: orders.rows,
    tickets: tickets.rows,
    seats: seats.rows,
    payments: payments.rows,
    refunds: refunds.rows,
  };
}

async function mapLimit<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  async function lane() {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T);
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}

/** What the gateway says: the scope's PaymentIntents, every one Postgres mentions, and their refunds. */
async function loadGateway(
  stripe: Stripe,
  scope: ReconcileScope,
  referenced: Set<string>,
  concurrency: number,
): Promise<{ intents: Map<string, IntentFacts>; foreign: number }> {
  const found = new Map<string, Stripe.PaymentIntent>();
  let foreign = 0;
  if ('eventId' in scope) {
    // Every charge attempt carries the event in its metadata (activities/payments.ts).
    const search = stripe.paymentIntents.search({
      query: `metadata['eventId']:'${scope.eventId.replaceAll("'", "\\'")}'`,
      limit: 100,
    });
    for await (const intent of search) found.set(intent.id, intent);
  } else {
    const listed = stripe.paymentIntents.list({
      created: { gte: Math.floor(scope.since.getTime() / 1000) },
      limit: 100,
    });
    for await (const intent of listed) {
      if (intent.metadata?.reservationId || referenced.has(intent.id)) found.set(intent.id, intent);
      else foreign++;
    }
  }
  // Postgres may name PaymentIntents the search does not return (search lags, support-verified payments).
  const missing = [...referenced].filter((id) => !found.has(id));
  await mapLimit(missing, concurrency, async (id) => {
    try {
      found.set(id, await stripe.paymentIntents.retrieve(id));
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode !== 404) throw error;
    }
  });
  const intents = new Map<string, IntentFacts>();
  await mapLimit([...found.values()], concurrency, async (intent) => {
    const refunds: Stripe.Refund[] = [];
    if (intent.status === 'succeeded') {
      for await (const refund of stripe.refunds.list({ payment_intent: intent.id, limit: 100 }))
        refunds.push(refund);
    }
    intents.set(intent.id, { intent, refunds });
  });
  return { intents, foreign };
}

/** What Temporal says about each reservation: listed by visibility, described where visibility lags. */
async function loadWorkflows(
  temporal: Client,
  scope: ReconcileScope,
  reservationIds: Set<string>,
  concurrency: number,
): Promise<Map<string, WorkflowFacts>> {
  const query =
    'eventId' in scope
      ? `WorkflowType = 'reservationWorkflow' AND EventId = '${scope.eventId.replaceAll("'", "\\'")}'`
      : `WorkflowType = 'reservationWorkflow' AND StartTime >= '${scope.since.toISOString()}'`;
  const listed = new Map<string, WorkflowExecutionInfo>();
  for await (const info of temporal.workflow.list({ query })) listed.set(info.workflowId, info);
  const ids = new Set([...reservationIds, ...listed.keys()]);
  const facts = new Map<string, WorkflowFacts>();
  await mapLimit([...ids], concurrency, async (id) => {
    const handle = temporal.workflow.getHandle(id);
    let info: Pick<WorkflowExecutionInfo, 'status' | 'typedSearchAttributes'>;
    try {
      info = listed.get(id) ?? (await handle.describe());
    } catch (error) {
      if (!(error instanceof WorkflowNotFoundError)) throw error;
      facts.set(id, { execution: 'NOT_FOUND' });
      return;
    }
    const execution = info.status.name;
    if (execution === 'COMPLETED') {
      const view = (await handle.result()) as ReservationView;
      facts.set(id, {
        execution,
        status: view.status,
        orderId: view.orderId,
        paymentIntentId: view.payment?.paymentIntentId,
        amount: view.amount,
      });
      return;
    }
    facts.set(id, {
      execution,
      status: info.typedSearchAttributes.get(ReservationStatusKey),
      orderId: info.typedSearchAttributes.get(OrderId),
      paymentIntentId: info.typedSearchAttributes.get(PaymentIntentId),
    });
  });
  return facts;
}
