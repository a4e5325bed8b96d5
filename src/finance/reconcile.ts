// Owns the reconciliation report: for one event or everything since a date, it joins what Postgres says
// (reservations, orders, tickets, seats, the payments and refunds audit) with what each reservation's
// workflow says (its result, or its search attributes while it runs) and with what the payment gateway
// says (PaymentIntents and their refunds), and names every place where money and tickets disagree.
// Output: a ledger, one row per money movement (plus orders with none), totals per event and currency,
// counts by status, and the discrepancies. Read-only everywhere.
import { type Client, type WorkflowExecutionInfo, WorkflowNotFoundError } from '@temporalio/client';
import type Stripe from 'stripe';
import type { ReservationView } from '../../workflows/reservation/contract';
import {
  OrderId,
  PaymentIntentId,
  ReservationStatus as ReservationStatusKey,
} from '../../workflows/search-attributes';
import type { Pool } from '../platform/db';

export type ReconcileScope = { eventId: string } | { since: Date };

export const discrepancyCodes = [
  /** The gateway kept money (net of refunds) that no valid ticket stands for. */
  'MONEY_WITHOUT_TICKET',
  /** A valid ticket or a sold seat that no money (net of refunds) stands for. */
  'TICKET_WITHOUT_MONEY',
  /** Amounts or currencies disagree: order vs gateway, order vs its seats, audit vs gateway. */
  'AMOUNT_MISMATCH',
  /** One reservation paid more than once. */
  'DOUBLE_CHARGE',
  /** A refund at the gateway that the order (or the refunds audit) does not show, or the reverse. */
  'REFUND_NOT_REFLECTED',
  /** The payments/refunds audit says something else than the gateway. */
  'PAYMENT_AUDIT_MISMATCH',
  /** The reservation's workflow and Postgres disagree about the outcome. */
  'WORKFLOW_MISMATCH',
  /** A seat is held by a reservation whose workflow is not running (nothing will ever release it). */
  'HOLD_WITHOUT_WORKFLOW',
  /** A valid ticket whose seat is not sold to its order, or a sold seat without a valid ticket. */
  'SEAT_MISMATCH',
  /** A refund asked for long ago that the gateway has not confirmed. */
  'REFUND_UNSETTLED',
] as const;
export type DiscrepancyCode = (typeof discrepancyCodes)[number];

export interface Discrepancy {
  code: DiscrepancyCode;
  message: string;
  eventId?: string;
  reservationId?: string;
  orderId?: string;
  paymentIntentId?: string;
  refundId?: string;
}

export interface LedgerRow {
  eventId: string;
  currency: string;
  kind: 'charge' | 'refund' | 'order';
  at: string;
  reservationId: string;
  orderId: string;
  paymentIntentId: string;
  stripeRefundId: string;
  refundId: string;
  /** Minor units; charges positive, refunds negative, 0 for an order with no money movement. */
  amount: number;
  gatewayStatus: string;
  auditStatus: string;
  orderStatus: string;
  orderAmount: number | '';
  orderRefunded: number | '';
  validTickets: number | '';
  workflowStatus: string;
  discrepancies: string;
}

export interface Totals {
  eventId: string;
  currency: string;
  charged: number;
  refunded: number;
  net: number;
  orders: number;
  validTickets: number;
}

export interface ReconcileReport {
  scope: { eventId: string } | { since: string };
  generatedAt: string;
  ledger: LedgerRow[];
  totals: Totals[];
  counts: {
    orders: Record<string, number>;
    reservations: Record<string, number>;
    payments: Record<string, number>;
    refunds: Record<string, number>;
    /** Gateway PaymentIntents in the date range that carry no Boxoffice metadata and no reference. */
    foreignPaymentIntents: number;
  };
  discrepancies: Discrepancy[];
}

export interface ReconcileDeps {
  pool: Pool;
  temporal: Client;
  stripe: Stripe;
  /** Parallel calls to Temporal and the gateway (default 8). */
  concurrency?: number;
  /** A refund REQUESTED longer than this without the gateway's answer is unsettled (default 10). */
  unsettledAfterMinutes?: number;
  now?: () => Date;
}

// ---- What each source says ------------------------------------------------------------------------

interface ReservationRow {
  id: string;
  event_id: string;
  buyer_id: string;
  status: string;
  amount: number;
  currency: string;
}

interface OrderRow {
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

interface TicketRow {
  order_id: string;
  seat_id: string;
  status: string;
  price: number | null;
}

interface SeatRow {
  event_id: string;
  seat_id: string;
  status: 'held' | 'sold';
  reservation_id: string | null;
  order_id: string | null;
}

interface PaymentRow {
  reservation_id: string;
  attempt: number;
  payment_intent_id: string | null;
  amount: number;
  currency: string;
  status: string;
}

interface RefundRow {
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

interface Postgres {
  reservations: ReservationRow[];
  orders: OrderRow[];
  tickets: TicketRow[];
  seats: SeatRow[];
  payments: PaymentRow[];
  refunds: RefundRow[];
}

/** What Temporal says about one reservation. */
interface WorkflowFacts {
  /** RUNNING, COMPLETED, FAILED, TERMINATED, ... or NOT_FOUND (never started, or past retention). */
  execution: string;
  /** The reservation status: from the result when completed, from the search attribute otherwise. */
  status?: string;
  orderId?: string;
  paymentIntentId?: string;
  amount?: number;
}

interface IntentFacts {
  intent: Stripe.PaymentIntent;
  refunds: Stripe.Refund[];
}

const cur = (currency: string) => currency.trim().toUpperCase();

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

// ---- The comparison ---------------------------------------------------------------------------------

function groupBy<T>(items: T[], key: (item: T) => string | null | undefined): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    if (k === null || k === undefined) continue;
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

function countBy<T>(items: T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}

/** Money a refund has moved back, as far as the gateway says (a pending refund counts: it was accepted). */
const counts = (refund: Stripe.Refund) => refund.status === 'succeeded' || refund.status === 'pending';

/**
 * Builds the reconciliation report for one event or everything since a date.
 *
 * @example
 * const report = await reconcile({ pool, temporal, stripe }, { eventId: 'evt_123' });
 * if (report.discrepancies.length > 0) process.exitCode = 1;
 */
export async function reconcile(deps: ReconcileDeps, scope: ReconcileScope): Promise<ReconcileReport> {
  const concurrency = deps.concurrency ?? 8;
  const now = deps.now?.() ?? new Date();
  const unsettledBefore = now.getTime() - (deps.unsettledAfterMinutes ?? 10) * 60_000;

  const pg = await loadPostgres(deps.pool, scope);
  const referenced = new Set<string>([
    ...pg.orders.map((order) => order.payment_intent_id),
    ...pg.payments.flatMap((payment) => (payment.payment_intent_id ? [payment.payment_intent_id] : [])),
    ...pg.refunds.map((refund) => refund.payment_intent_id),
  ]);
  const gateway = await loadGateway(deps.stripe, scope, referenced, concurrency);
  const reservationIds = new Set<string>([
    ...pg.reservations.map((reservation) => reservation.id),
    ...pg.seats.flatMap((seat) =>
      seat.status === 'held' && seat.reservation_id ? [seat.reservation_id] : [],
    ),
    ...[...gateway.intents.values()].flatMap(({ intent }) =>
      intent.metadata?.reservationId ? [intent.metadata.reservationId] : [],
    ),
  ]);
  const workflows = await loadWorkflows(deps.temporal, scope, reservationIds, concurrency);

  const reservationsById = new Map(pg.reservations.map((row) => [row.id, row]));
  const ordersById = new Map(pg.orders.map((order) => [order.id, order]));
  const ordersByIntent = groupBy(pg.orders, (order) => order.payment_intent_id);
  const ordersByReservation = new Map(pg.orders.map((order) => [order.reservation_id, order]));
  const ticketsByOrder = groupBy(pg.tickets, (ticket) => ticket.order_id);
  const soldSeatsByOrder = groupBy(
    pg.seats.filter((seat) => seat.status === 'sold'),
    (seat) => seat.order_id,
  );
  const paymentsByIntent = groupBy(pg.payments, (payment) => payment.payment_intent_id);
  const refundRowsByStripeId = new Map(
    pg.refunds.flatMap((row) => (row.stripe_refund_id ? [[row.stripe_refund_id, row] as const] : [])),
  );
  const stripeRefundIds = new Set(
    [...gateway.intents.values()].flatMap(({ refunds }) => refunds.map((r) => r.id)),
  );

  const discrepancies: Discrepancy[] = [];
  const flag = (discrepancy: Discrepancy) => discrepancies.push(discrepancy);
  const eventOf = (reservationId?: string, fallback?: string) =>
    (reservationId && reservationsById.get(reservationId)?.event_id) || fallback;

  // 1. Every order: its money at the gateway, its refunds, its tickets and seats, its workflow.
  for (const order of pg.orders) {
    const where = {
      eventId: order.event_id,
      reservationId: order.reservation_id,
      orderId: order.id,
      paymentIntentId: order.payment_intent_id,
    };
    const tickets = ticketsByOrder.get(order.id) ?? [];
    const valid = tickets.filter((ticket) => ticket.status === 'VALID');
    const facts = gateway.intents.get(order.payment_intent_id);
    const received = facts?.intent.status === 'succeeded' ? facts.intent.amount_received : 0;
    const refunded = (facts?.refunds ?? []).filter(counts).reduce((sum, refund) => sum + refund.amount, 0);

    if (!facts) {
      flag({
        code: 'TICKET_WITHOUT_MONEY',
        message: `order ${order.id} is paid by ${order.payment_intent_id}, which the payment gateway does not know`,
        ...where,
      });
    } else if (facts.intent.status !== 'succeeded') {
      flag({
        code: 'TICKET_WITHOUT_MONEY',
        message: `order ${order.id} is paid by ${order.payment_intent_id}, which is ${facts.intent.status} at the gateway`,
        ...where,
      });
    } else {
      if (received !== order.amount || cur(facts.intent.currency) !== cur(order.currency)) {
        flag({
          code: 'AMOUNT_MISMATCH',
          message: `order ${order.id} is for ${order.amount} ${cur(order.currency)}, the gateway took ${received} ${cur(facts.intent.currency)}`,
          ...where,
        });
      }
      if (refunded !== order.refunded_amount) {
        flag({
          code: 'REFUND_NOT_REFLECTED',
          message: `the gateway refunded ${refunded} of ${order.payment_intent_id}, order ${order.id} records ${order.refunded_amount}`,
          ...where,
        });
      }
      if (received - refunded <= 0 && valid.length > 0 && order.refund_releases_seats) {
        flag({
          code: 'TICKET_WITHOUT_MONEY',
          message: `order ${order.id} was refunded in full at the gateway but ${valid.length} ticket(s) are still valid`,
          ...where,
        });
      }
    }

    const expectedStatus =
      order.refunded_amount >= order.amount && order.amount > 0
        ? 'REFUNDED'
        : order.refunded_amount > 0
          ? 'PARTIALLY_REFUNDED'
          : 'PAID';
    if (order.status !== expectedStatus) {
      flag({
        code: 'REFUND_NOT_REFLECTED',
        message: `order ${order.id} is ${order.status} with ${order.refunded_amount} of ${order.amount} refunded (expected ${expectedStatus})`,
        ...where,
      });
    }
    if (order.status === 'REFUNDED' && order.refund_releases_seats && valid.length > 0) {
      flag({
        code: 'TICKET_WITHOUT_MONEY',
        message: `order ${order.id} is REFUNDED but ${valid.length} ticket(s) are still valid`,
        ...where,
      });
    }

    const seatsPrice = tickets.reduce((sum, ticket) => sum + (ticket.price ?? 0), 0);
    if (tickets.length > 0 && seatsPrice !== order.amount) {
      flag({
        code: 'AMOUNT_MISMATCH',
        message: `order ${order.id} is for ${order.amount} ${cur(order.currency)}, its ${tickets.length} seat(s) cost ${seatsPrice}`,
        ...where,
      });
    }

    const soldTo = new Set((soldSeatsByOrder.get(order.id) ?? []).map((seat) => seat.seat_id));
    const unsold = valid.filter((ticket) => !soldTo.has(ticket.seat_id)).map((ticket) => ticket.seat_id);
    if (unsold.length > 0) {
      flag({
        code: 'SEAT_MISMATCH',
        message: `order ${order.id} has valid tickets for ${unsold.join(', ')}, which are not sold to it`,
        ...where,
      });
    }

    const audit = paymentsByIntent.get(order.payment_intent_id) ?? [];
    if (!audit.some((payment) => payment.status === 'SUCCEEDED')) {
      flag({
        code: 'PAYMENT_AUDIT_MISMATCH',
        message: `order ${order.id} is paid by ${order.payment_intent_id}, which has no SUCCEEDED payments row`,
        ...where,
      });
    }

    const workflow = workflows.get(order.reservation_id);
    if (workflow && workflow.execution !== 'NOT_FOUND') {
      const disagreements = [
        workflow.status !== 'CONFIRMED' ? `status ${workflow.status ?? 'unknown'}` : '',
        workflow.orderId && workflow.orderId !== order.id ? `order ${workflow.orderId}` : '',
        workflow.paymentIntentId && workflow.paymentIntentId !== order.payment_intent_id
          ? `payment ${workflow.paymentIntentId}`
          : '',
        workflow.amount !== undefined && workflow.amount !== order.amount ? `amount ${workflow.amount}` : '',
      ].filter(Boolean);
      if (disagreements.length > 0) {
        flag({
          code: 'WORKFLOW_MISMATCH',
          message: `order ${order.id} (${order.payment_intent_id}, ${order.amount}) but its reservation's workflow says ${disagreements.join(', ')}`,
          ...where,
        });
      }
    }
  }

  // 2. Every PaymentIntent: money the gateway kept that no order stands for.
  for (const { intent, refunds } of gateway.intents.values()) {
    const audit = paymentsByIntent.get(intent.id) ?? [];
    const reservationId = intent.metadata?.reservationId || audit[0]?.reservation_id;
    const where = {
      eventId: eventOf(reservationId, intent.metadata?.eventId),
      reservationId,
      paymentIntentId: intent.id,
    };
    const succeeded = intent.status === 'succeeded';
    const net = succeeded
      ? intent.amount_received - refunds.filter(counts).reduce((s, r) => s + r.amount, 0)
      : 0;
    if (net > 0 && !ordersByIntent.has(intent.id)) {
      const sold = reservationId ? ordersByReservation.get(reservationId) : undefined;
      if (sold) {
        flag({
          code: 'DOUBLE_CHARGE',
          message: `reservation ${reservationId} is paid twice: ${sold.payment_intent_id} (order ${sold.id}) and ${intent.id} (${net} ${cur(intent.currency)} kept)`,
          ...where,
          orderId: sold.id,
        });
      } else {
        flag({
          code: 'MONEY_WITHOUT_TICKET',
          message: `${intent.id} kept ${net} ${cur(intent.currency)}${reservationId ? ` for reservation ${reservationId}` : ''}, and no order stands for it`,
          ...where,
        });
      }
    }
    if (audit.length > 0) {
      const auditSucceeded = audit.some((payment) => payment.status === 'SUCCEEDED');
      if (auditSucceeded !== succeeded) {
        flag({
          code: 'PAYMENT_AUDIT_MISMATCH',
          message: `${intent.id} is ${intent.status} at the gateway, the payments audit says ${audit.map((p) => p.status).join(', ')}`,
          ...where,
        });
      }
      const wrong = audit.find(
        (payment) => payment.amount !== intent.amount || cur(payment.currency) !== cur(intent.currency),
      );
      if (wrong) {
        flag({
          code: 'AMOUNT_MISMATCH',
          message: `${intent.id} is for ${intent.amount} ${cur(intent.currency)}, its payments row says ${wrong.amount} ${cur(wrong.currency)}`,
          ...where,
        });
      }
    } else if (succeeded && intent.metadata?.reservationId) {
      flag({
        code: 'PAYMENT_AUDIT_MISMATCH',
        message: `${intent.id} succeeded for reservation ${intent.metadata.reservationId} without a payments row`,
        ...where,
      });
    }

    // Refunds at the gateway must each have their audit row, with the same amount and outcome. Money no
    // order stands for has no Boxoffice refund to go through: refunding it at the gateway is the fix.
    for (const refund of refunds) {
      const row = refundRowsByStripeId.get(refund.id);
      const at = { ...where, refundId: row?.id ?? refund.metadata?.refundId };
      if (!row && !ordersByIntent.has(intent.id)) continue;
      if (!row) {
        flag({
          code: 'REFUND_NOT_REFLECTED',
          message: `the gateway refunded ${refund.amount} ${cur(refund.currency)} of ${intent.id} (${refund.id}) with no refunds row`,
          ...at,
        });
        continue;
      }
      if (row.amount !== refund.amount) {
        flag({
          code: 'AMOUNT_MISMATCH',
          message: `refund ${row.id} records ${row.amount}, the gateway refunded ${refund.amount} (${refund.id})`,
          ...at,
        });
      }
      if (refund.status === 'succeeded' && row.status !== 'SUCCEEDED') {
        flag({
          code: 'PAYMENT_AUDIT_MISMATCH',
          message: `refund ${row.id} is ${row.status} in the audit, succeeded at the gateway (${refund.id})`,
          ...at,
        });
      }
    }
  }

  // 3. Refund rows the gateway does not back, and refunds asked for long ago that never settled.
  for (const row of pg.refunds) {
    const where = {
      eventId: eventOf(row.reservation_id),
      reservationId: row.reservation_id,
      orderId: row.order_id ?? undefined,
      paymentIntentId: row.payment_intent_id,
      refundId: row.id,
    };
    if (row.status === 'SUCCEEDED' && (!row.stripe_refund_id || !stripeRefundIds.has(row.stripe_refund_id))) {
      flag({
        code: 'REFUND_NOT_REFLECTED',
        message: `refund ${row.id} of ${row.amount} is SUCCEEDED in the audit, but the gateway has no such refund${row.stripe_refund_id ? ` (${row.stripe_refund_id})` : ''}`,
        ...where,
      });
    }
    if (row.status === 'REQUESTED' && row.created_at.getTime() < unsettledBefore) {
      const settled = row.stripe_refund_id && stripeRefundIds.has(row.stripe_refund_id);
      if (!settled) {
        flag({
          code: 'REFUND_UNSETTLED',
          message: `refund ${row.id} of ${row.amount} was requested at ${row.created_at.toISOString()} and the gateway has not confirmed it`,
          ...where,
        });
      }
    }
  }

  // 4. Seats: a sold seat needs an order with a valid ticket; a held seat needs a running workflow.
  for (const seat of pg.seats) {
    const where = { eventId: seat.event_id, reservationId: seat.reservation_id ?? undefined };
    if (seat.status === 'sold') {
      const order = seat.order_id ? ordersById.get(seat.order_id) : undefined;
      if (!order) {
        flag({
          code: 'TICKET_WITHOUT_MONEY',
          message: `seat ${seat.seat_id} is sold to ${seat.order_id}, which does not exist`,
          ...where,
          orderId: seat.order_id ?? undefined,
        });
        continue;
      }
      const ticket = (ticketsByOrder.get(order.id) ?? []).find((t) => t.seat_id === seat.seat_id);
      if (ticket?.status !== 'VALID' && order.refund_releases_seats) {
        flag({
          code: 'SEAT_MISMATCH',
          message: `seat ${seat.seat_id} is sold to order ${order.id}, which has no valid ticket for it`,
          ...where,
          orderId: order.id,
        });
      }
      continue;
    }
    const workflow = seat.reservation_id ? workflows.get(seat.reservation_id) : undefined;
    if (workflow?.execution !== 'RUNNING') {
      flag({
        code: 'HOLD_WITHOUT_WORKFLOW',
        message: `seat ${seat.seat_id} is held by ${seat.reservation_id}, whose workflow is ${workflow?.execution ?? 'unknown'}: nothing will release it`,
        ...where,
      });
    }
  }

  // 5. Reservations whose workflow sold seats Postgres has no order for, or ended otherwise than recorded.
  for (const [reservationId, workflow] of workflows) {
    if (workflow.execution !== 'COMPLETED') continue;
    const row = reservationsById.get(reservationId);
    const where = {
      eventId: eventOf(reservationId),
      reservationId,
      paymentIntentId: workflow.paymentIntentId,
    };
    if (workflow.status === 'CONFIRMED' && !ordersByReservation.has(reservationId)) {
      flag({
        code: 'WORKFLOW_MISMATCH',
        message: `reservation ${reservationId} ended CONFIRMED with order ${workflow.orderId}, which Postgres does not have`,
        ...where,
        orderId: workflow.orderId,
      });
    } else if (row && row.status !== workflow.status) {
      flag({
        code: 'WORKFLOW_MISMATCH',
        message: `reservation ${reservationId} ended ${workflow.status}, Postgres records ${row.status}`,
        ...where,
      });
    }
  }

  const ledger = buildLedger(pg, gateway.intents, workflows, discrepancies);
  return {
    scope: 'eventId' in scope ? { eventId: scope.eventId } : { since: scope.since.toISOString() },
    generatedAt: now.toISOString(),
    ledger,
    totals: totalsOf(ledger, pg),
    counts: {
      orders: countBy(pg.orders, (order) => order.status),
      reservations: countBy(
        [...reservationIds],
        (id) => workflows.get(id)?.status ?? reservationsById.get(id)?.status ?? 'UNKNOWN',
      ),
      payments: countBy(pg.payments, (payment) => payment.status),
      refunds: countBy(pg.refunds, (refund) => refund.status),
      foreignPaymentIntents: gateway.foreign,
    },
    discrepancies,
  };
}

function buildLedger(
  pg: Postgres,
  intents: Map<string, IntentFacts>,
  workflows: Map<string, WorkflowFacts>,
  discrepancies: Discrepancy[],
): LedgerRow[] {
  const ordersByIntent = new Map(pg.orders.map((order) => [order.payment_intent_id, order]));
  const reservationsById = new Map(pg.reservations.map((row) => [row.id, row]));
  const paymentsByIntent = groupBy(pg.payments, (payment) => payment.payment_intent_id);
  const refundRowsByStripeId = new Map(
    pg.refunds.flatMap((row) => (row.stripe_refund_id ? [[row.stripe_refund_id, row] as const] : [])),
  );
  const validTickets = (orderId: string) =>
    pg.tickets.filter((ticket) => ticket.order_id === orderId && ticket.status === 'VALID').length;
  const codesFor = (match: (d: Discrepancy) => boolean) =>
    [...new Set(discrepancies.filter(match).map((d) => d.code))].join(';');
  const workflowOf = (reservationId: string) => {
    const facts = workflows.get(reservationId);
    if (!facts) return '';
    return facts.status ? `${facts.execution}:${facts.status}` : facts.execution;
  };

  const rows: LedgerRow[] = [];
  const charged = new Set<string>();
  for (const { intent, refunds } of intents.values()) {
    const order = ordersByIntent.get(intent.id);
    // Declined, canceled and abandoned attempts moved no money; they stay in the audit, not the ledger.
    if (intent.status !== 'succeeded' && !order) continue;
    charged.add(intent.id);
    const audit = paymentsByIntent.get(intent.id) ?? [];
    const reservationId =
      intent.metadata?.reservationId || audit[0]?.reservation_id || order?.reservation_id || '';
    const common = {
      eventId:
        order?.event_id ?? reservationsById.get(reservationId)?.event_id ?? intent.metadata?.eventId ?? '',
      currency: cur(intent.currency),
      reservationId,
      orderId: order?.id ?? '',
      paymentIntentId: intent.id,
      orderStatus: order?.status ?? '',
      orderAmount: order?.amount ?? ('' as const),
      orderRefunded: order?.refunded_amount ?? ('' as const),
      validTickets: order ? validTickets(order.id) : ('' as const),
      workflowStatus: workflowOf(reservationId),
    };
    rows.push({
      ...common,
      kind: 'charge',
      at: new Date(intent.created * 1000).toISOString(),
      stripeRefundId: '',
      refundId: '',
      amount: intent.status === 'succeeded' ? intent.amount_received : 0,
      gatewayStatus: intent.status,
      auditStatus: audit.map((payment) => payment.status).join(';'),
      discrepancies: codesFor((d) => d.paymentIntentId === intent.id && !d.refundId),
    });
    for (const refund of refunds) {
      const row = refundRowsByStripeId.get(refund.id);
      rows.push({
        ...common,
        kind: 'refund',
        at: new Date(refund.created * 1000).toISOString(),
        stripeRefundId: refund.id,
        refundId: row?.id ?? refund.metadata?.refundId ?? '',
        amount: -refund.amount,
        gatewayStatus: refund.status ?? '',
        auditStatus: row?.status ?? '',
        discrepancies: codesFor(
          (d) => d.paymentIntentId === intent.id && d.refundId === (row?.id ?? refund.metadata?.refundId),
        ),
      });
    }
  }
  // Refunds the audit calls succeeded that the gateway never made: listed so the gap is visible.
  for (const row of pg.refunds) {
    if (
      row.status !== 'SUCCEEDED' ||
      (row.stripe_refund_id &&
        refundRowsByStripeId.has(row.stripe_refund_id) &&
        intents.get(row.payment_intent_id)?.refunds.some((r) => r.id === row.stripe_refund_id))
    )
      continue;
    const order = row.order_id ? pg.orders.find((o) => o.id === row.order_id) : undefined;
    rows.push({
      eventId: order?.event_id ?? reservationsById.get(row.reservation_id)?.event_id ?? '',
      currency: cur(row.currency),
      kind: 'refund',
      at: row.created_at.toISOString(),
      reservationId: row.reservation_id,
      orderId: row.order_id ?? '',
      paymentIntentId: row.payment_intent_id,
      stripeRefundId: row.stripe_refund_id ?? '',
      refundId: row.id,
      amount: -row.amount,
      gatewayStatus: 'missing',
      auditStatus: row.status,
      orderStatus: order?.status ?? '',
      orderAmount: order?.amount ?? '',
      orderRefunded: order?.refunded_amount ?? '',
      validTickets: order ? validTickets(order.id) : '',
      workflowStatus: workflowOf(row.reservation_id),
      discrepancies: codesFor((d) => d.refundId === row.id),
    });
  }
  // Orders whose payment moved no money at the gateway: a row each, so every order is in the ledger.
  for (const order of pg.orders) {
    if (charged.has(order.payment_intent_id)) continue;
    rows.push({
      eventId: order.event_id,
      currency: cur(order.currency),
      kind: 'order',
      at: order.created_at.toISOString(),
      reservationId: order.reservation_id,
      orderId: order.id,
      paymentIntentId: order.payment_intent_id,
      stripeRefundId: '',
      refundId: '',
      amount: 0,
      gatewayStatus: intents.get(order.payment_intent_id)?.intent.status ?? 'missing',
      auditStatus: (paymentsByIntent.get(order.payment_intent_id) ?? []).map((p) => p.status).join(';'),
      orderStatus: order.status,
      orderAmount: order.amount,
      orderRefunded: order.refunded_amount,
      validTickets: validTickets(order.id),
      workflowStatus: workflowOf(order.reservation_id),
      discrepancies: codesFor((d) => d.orderId === order.id),
    });
  }
  return rows.sort((a, b) => a.at.localeCompare(b.at) || a.kind.localeCompare(b.kind));
}

function totalsOf(ledger: LedgerRow[], pg: Postgres): Totals[] {
  const totals = new Map<string, Totals>();
  const of = (eventId: string, currency: string) => {
    const key = `${eventId}\n${currency}`;
    let entry = totals.get(key);
    if (!entry) {
      entry = { eventId, currency, charged: 0, refunded: 0, net: 0, orders: 0, validTickets: 0 };
      totals.set(key, entry);
    }
    return entry;
  };
  for (const row of ledger) {
    if (row.kind === 'order' || row.gatewayStatus === 'missing') continue;
    const entry = of(row.eventId, row.currency);
    if (row.kind === 'charge') entry.charged += row.amount;
    else if (row.gatewayStatus === 'succeeded' || row.gatewayStatus === 'pending')
      entry.refunded += -row.amount;
  }
  for (const order of pg.orders) {
    const entry = of(order.event_id, cur(order.currency));
    entry.orders += 1;
    entry.validTickets += pg.tickets.filter((t) => t.order_id === order.id && t.status === 'VALID').length;
  }
  for (const entry of totals.values()) entry.net = entry.charged - entry.refunded;
  return [...totals.values()].sort(
    (a, b) => a.eventId.localeCompare(b.eventId) || a.currency.localeCompare(b.currency),
  );
}

// ---- Output -----------------------------------------------------------------------------------------

const ledgerColumns: (keyof LedgerRow)[] = [
  'eventId',
  'currency',
  'kind',
  'at',
  'reservationId',
  'orderId',
  'paymentIntentId',
  'stripeRefundId',
  'refundId',
  'amount',
  'gatewayStatus',
  'auditStatus',
  'orderStatus',
  'orderAmount',
  'orderRefunded',
  'validTickets',
  'workflowStatus',
  'discrepancies',
];

function csvField(value: unknown): string {
  const text = String(value ?? '');
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** The ledger as CSV (RFC 4180), one row per money movement, header first. */
export function ledgerCsv(report: ReconcileReport): string {
  const lines = [ledgerColumns.join(',')];
  for (const row of report.ledger) lines.push(ledgerColumns.map((column) => csvField(row[column])).join(','));
  return `${lines.join('\n')}\n`;
}

function formatCounts(counts: Record<string, number>): string {
  const entries = Object.entries(counts).sort(([a], [b]) => a.localeCompare(b));
  return entries.length ? entries.map(([key, n]) => `${key} ${n}`).join(', ') : 'none';
}

/** The human summary: scope, totals per event and currency, counts by status, every discrepancy. */
export function summaryText(report: ReconcileReport): string {
  const scope = 'eventId' in report.scope ? `event ${report.scope.eventId}` : `since ${report.scope.since}`;
  const lines = [`Reconciliation of ${scope} at ${report.generatedAt}`, '', 'Totals (minor units):'];
  if (report.totals.length === 0) lines.push('  no money movements');
  for (const t of report.totals) {
    lines.push(
      `  ${t.eventId} ${t.currency}: charged ${t.charged}, refunded ${t.refunded}, net ${t.net}; ${t.orders} order(s), ${t.validTickets} valid ticket(s)`,
    );
  }
  lines.push(
    '',
    'Counts:',
    `  orders: ${formatCounts(report.counts.orders)}`,
    `  reservations: ${formatCounts(report.counts.reservations)}`,
    `  payment attempts: ${formatCounts(report.counts.payments)}`,
    `  refunds: ${formatCounts(report.counts.refunds)}`,
  );
  if (report.counts.foreignPaymentIntents > 0) {
    lines.push(
      `  gateway PaymentIntents not made by Boxoffice (ignored): ${report.counts.foreignPaymentIntents}`,
    );
  }
  lines.push('', `Discrepancies: ${report.discrepancies.length}`);
  const byCode = countBy(report.discrepancies, (d) => d.code);
  if (report.discrepancies.length > 0) lines.push(`  by kind: ${formatCounts(byCode)}`);
  for (const d of report.discrepancies) lines.push(`  ${d.code}: ${d.message}`);
  return `${lines.join('\n')}\n`;
}
