// Owns the rules about each order: its money at the gateway, its refunds, its tickets and seats, its workflow.
import { cur, refundedAtGateway } from './lookups';
import type { Checks, Rule } from './rule';
import type { IntentFacts, OrderRow, TicketRow } from './sources';

interface OrderSubject {
  order: OrderRow;
  tickets: TicketRow[];
  valid: TicketRow[];
  /** Its PaymentIntent, if the gateway knows it. */
  facts: IntentFacts | undefined;
}

/** The gateway took the order's amount and gave back what the order records as refunded. */
const orderMatchesGateway: Rule<OrderSubject> = ({ order, valid, facts, flag }) => {
  if (!facts) {
    flag(
      'TICKET_WITHOUT_MONEY',
      `order ${order.id} is paid by ${order.payment_intent_id}, which the payment gateway does not know`,
    );
    return;
  }
  if (facts.intent.status !== 'succeeded') {
    flag(
      'TICKET_WITHOUT_MONEY',
      `order ${order.id} is paid by ${order.payment_intent_id}, which is ${facts.intent.status} at the gateway`,
    );
    return;
  }
  const received = facts.intent.amount_received;
  const refunded = refundedAtGateway(facts.refunds);
  if (received !== order.amount || cur(facts.intent.currency) !== cur(order.currency)) {
    flag(
      'AMOUNT_MISMATCH',
      `order ${order.id} is for ${order.amount} ${cur(order.currency)}, the gateway took ${received} ${cur(facts.intent.currency)}`,
    );
  }
  if (refunded !== order.refunded_amount) {
    flag(
      'REFUND_NOT_REFLECTED',
      `the gateway refunded ${refunded} of ${order.payment_intent_id}, order ${order.id} records ${order.refunded_amount}`,
    );
  }
  if (received - refunded <= 0 && valid.length > 0 && order.refund_releases_seats) {
    flag(
      'TICKET_WITHOUT_MONEY',
      `order ${order.id} was refunded in full at the gateway but ${valid.length} ticket(s) are still valid`,
    );
  }
};

/** The order's status follows from its refunded amount, and a refund that releases seats voids tickets. */
const orderStatusMatchesRefunds: Rule<OrderSubject> = ({ order, valid, flag }) => {
  const expectedStatus =
    order.refunded_amount >= order.amount && order.amount > 0
      ? 'REFUNDED'
      : order.refunded_amount > 0
        ? 'PARTIALLY_REFUNDED'
        : 'PAID';
  if (order.status !== expectedStatus) {
    flag(
      'REFUND_NOT_REFLECTED',
      `order ${order.id} is ${order.status} with ${order.refunded_amount} of ${order.amount} refunded (expected ${expectedStatus})`,
    );
  }
  if (order.status === 'REFUNDED' && order.refund_releases_seats && valid.length > 0) {
    flag(
      'TICKET_WITHOUT_MONEY',
      `order ${order.id} is REFUNDED but ${valid.length} ticket(s) are still valid`,
    );
  }
};

/** The order's amount is what its seats cost. */
const orderPriceMatchesSeats: Rule<OrderSubject> = ({ order, tickets, flag }) => {
  const seatsPrice = tickets.reduce((sum, ticket) => sum + (ticket.price ?? 0), 0);
  if (tickets.length > 0 && seatsPrice !== order.amount) {
    flag(
      'AMOUNT_MISMATCH',
      `order ${order.id} is for ${order.amount} ${cur(order.currency)}, its ${tickets.length} seat(s) cost ${seatsPrice}`,
    );
  }
};

/** Every valid ticket's seat is sold to the order. */
const orderSeatsAreSold: Rule<OrderSubject> = ({ order, valid, flag }, { soldSeatsByOrder }) => {
  const soldTo = new Set((soldSeatsByOrder.get(order.id) ?? []).map((seat) => seat.seat_id));
  const unsold = valid.filter((ticket) => !soldTo.has(ticket.seat_id)).map((ticket) => ticket.seat_id);
  if (unsold.length > 0) {
    flag(
      'SEAT_MISMATCH',
      `order ${order.id} has valid tickets for ${unsold.join(', ')}, which are not sold to it`,
    );
  }
};

/** The payments audit has the charge that paid the order. */
const orderPaymentAudited: Rule<OrderSubject> = ({ order, flag }, { paymentsByIntent }) => {
  const audit = paymentsByIntent.get(order.payment_intent_id) ?? [];
  if (!audit.some((payment) => payment.status === 'SUCCEEDED')) {
    flag(
      'PAYMENT_AUDIT_MISMATCH',
      `order ${order.id} is paid by ${order.payment_intent_id}, which has no SUCCEEDED payments row`,
    );
  }
};

/**
 * The reservation's workflow confirmed this order, with this payment and this amount. A terminated
 * workflow is frozen where Terminate found it and could not settle its own payment: the late-payment path
 * sold (or refunded) it, so its last status says nothing about the order, which the money checks judge.
 */
const orderMatchesWorkflow: Rule<OrderSubject> = ({ order, flag }, { sources }) => {
  const workflow = sources.workflows.get(order.reservation_id);
  if (!workflow || workflow.execution === 'NOT_FOUND' || workflow.execution === 'TERMINATED') return;
  const disagreements = [
    workflow.status !== 'CONFIRMED' ? `status ${workflow.status ?? 'unknown'}` : '',
    workflow.orderId && workflow.orderId !== order.id ? `order ${workflow.orderId}` : '',
    workflow.paymentIntentId && workflow.paymentIntentId !== order.payment_intent_id
      ? `payment ${workflow.paymentIntentId}`
      : '',
    workflow.amount !== undefined && workflow.amount !== order.amount ? `amount ${workflow.amount}` : '',
  ].filter(Boolean);
  if (disagreements.length > 0) {
    flag(
      'WORKFLOW_MISMATCH',
      `order ${order.id} (${order.payment_intent_id}, ${order.amount}) but its reservation's workflow says ${disagreements.join(', ')}`,
    );
  }
};

export const orderChecks: Checks<OrderSubject> = {
  subjects: ({ sources, ticketsByOrder, validTickets }) =>
    sources.pg.orders.map((order) => ({
      order,
      tickets: ticketsByOrder.get(order.id) ?? [],
      valid: validTickets(order.id),
      facts: sources.intents.get(order.payment_intent_id),
    })),
  where: ({ order }) => ({
    eventId: order.event_id,
    reservationId: order.reservation_id,
    orderId: order.id,
    paymentIntentId: order.payment_intent_id,
  }),
  rules: [
    orderMatchesGateway,
    orderStatusMatchesRefunds,
    orderPriceMatchesSeats,
    orderSeatsAreSold,
    orderPaymentAudited,
    orderMatchesWorkflow,
  ],
};
