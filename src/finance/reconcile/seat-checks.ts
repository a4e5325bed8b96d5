// Owns the rules about tickets' other half: each sold or held seat, and each completed reservation workflow.
import type { Checks, Rule } from './rule';
import type { SeatRow, WorkflowFacts } from './sources';

/** A sold seat belongs to an order that exists and, if refunds release seats, has a valid ticket for it. */
const soldSeatHasValidTicket: Rule<{ seat: SeatRow }> = ({ seat, flag }, { ordersById, ticketsByOrder }) => {
  if (seat.status !== 'sold') return;
  const order = seat.order_id ? ordersById.get(seat.order_id) : undefined;
  if (!order) {
    flag('TICKET_WITHOUT_MONEY', `seat ${seat.seat_id} is sold to ${seat.order_id}, which does not exist`, {
      orderId: seat.order_id ?? undefined,
    });
    return;
  }
  const ticket = (ticketsByOrder.get(order.id) ?? []).find((t) => t.seat_id === seat.seat_id);
  if (ticket?.status !== 'VALID' && order.refund_releases_seats) {
    flag(
      'SEAT_MISMATCH',
      `seat ${seat.seat_id} is sold to order ${order.id}, which has no valid ticket for it`,
      { orderId: order.id },
    );
  }
};

/** A held seat has a running workflow that will commit or release it. */
const heldSeatHasWorkflow: Rule<{ seat: SeatRow }> = ({ seat, flag }, { sources }) => {
  if (seat.status === 'sold') return;
  const workflow = seat.reservation_id ? sources.workflows.get(seat.reservation_id) : undefined;
  if (workflow?.execution !== 'RUNNING') {
    flag(
      'HOLD_WITHOUT_WORKFLOW',
      `seat ${seat.seat_id} is held by ${seat.reservation_id}, whose workflow is ${workflow?.execution ?? 'unknown'}: nothing will release it`,
    );
  }
};

export const seatChecks: Checks<{ seat: SeatRow }> = {
  subjects: ({ sources }) => sources.pg.seats.map((seat) => ({ seat })),
  where: ({ seat }) => ({ eventId: seat.event_id, reservationId: seat.reservation_id ?? undefined }),
  rules: [soldSeatHasValidTicket, heldSeatHasWorkflow],
};

interface WorkflowSubject {
  reservationId: string;
  workflow: WorkflowFacts;
}

/** A completed workflow's outcome is the one Postgres records, and a CONFIRMED one has its order. */
const workflowOutcomeRecorded: Rule<WorkflowSubject> = (
  { reservationId, workflow, flag },
  { reservationsById, ordersByReservation },
) => {
  if (workflow.execution !== 'COMPLETED') return;
  const row = reservationsById.get(reservationId);
  if (workflow.status === 'CONFIRMED' && !ordersByReservation.has(reservationId)) {
    flag(
      'WORKFLOW_MISMATCH',
      `reservation ${reservationId} ended CONFIRMED with order ${workflow.orderId}, which Postgres does not have`,
      { orderId: workflow.orderId },
    );
  } else if (row && row.status !== workflow.status) {
    flag(
      'WORKFLOW_MISMATCH',
      `reservation ${reservationId} ended ${workflow.status}, Postgres records ${row.status}`,
    );
  }
};

export const workflowChecks: Checks<WorkflowSubject> = {
  subjects: ({ sources }) =>
    [...sources.workflows].map(([reservationId, workflow]) => ({ reservationId, workflow })),
  where: ({ reservationId, workflow }, { eventOf }) => ({
    eventId: eventOf(reservationId),
    reservationId,
    paymentIntentId: workflow.paymentIntentId,
  }),
  rules: [workflowOutcomeRecorded],
};
