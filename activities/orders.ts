// Owns the sale: committing a reservation's seats, creating its order and signed tickets in one
// transaction, and recording each reservation's state in Postgres for readers after its workflow ends.

import {
  findOrder,
  findReservation,
  insertOrderTx,
  type ReservationRow,
  upsertReservation,
} from '../src/checkout/orders';
import { signTicket } from '../src/checkout/tickets';
import type { SeatMap } from '../src/inventory/seat-map';
import { commitSeatsTx } from '../src/inventory/seats';
import type { Config } from '../src/platform/config';
import { type Pool, withTransaction } from '../src/platform/db';
import type { ReservationView } from '../workflows/reservation/contract';
import { withDomainFailures } from './failures';

export interface CompleteSaleInput {
  reservationId: string;
  orderId: string;
  eventId: string;
  buyerId: string;
  paymentIntentId: string;
  amount: number;
  currency: string;
  seatIds: string[];
  actor: string;
}

export interface LoadedReservation extends ReservationRow {
  order?: { id: string; paymentIntentId: string };
}

export function createOrderActivities(deps: { config: Config; pool: Pool; seatMap: SeatMap }) {
  return withDomainFailures({
    async recordReservation(view: ReservationView): Promise<void> {
      await upsertReservation(deps.pool, view);
    },

    /** The reservation as Postgres recorded it, with its order if it has one (late payments start here). */
    async loadReservation(input: { reservationId: string }): Promise<LoadedReservation | undefined> {
      const reservation = await findReservation(deps.pool, input.reservationId);
      if (!reservation) return undefined;
      const order = reservation.orderId ? await findOrder(deps.pool, reservation.orderId) : undefined;
      return { ...reservation, order: order && { id: order.id, paymentIntentId: order.paymentIntentId } };
    },

    /**
     * held -> sold and the order with its tickets, all or nothing; SEATS_NOT_HELD when the hold is gone
     * (released, taken, or its lease lapsed beyond the grace while the workflow was away).
     */
    async completeSale(input: CompleteSaleInput): Promise<{ orderId: string }> {
      const { changes } = await withTransaction(deps.pool, async (client) => {
        const transition = await commitSeatsTx(
          client,
          {
            reservationId: input.reservationId,
            orderId: input.orderId,
            actor: input.actor,
            seatIds: input.seatIds,
          },
          { graceSeconds: deps.config.holdGraceSeconds },
        );
        await insertOrderTx(client, {
          orderId: input.orderId,
          reservationId: input.reservationId,
          eventId: input.eventId,
          buyerId: input.buyerId,
          amount: input.amount,
          currency: input.currency,
          paymentIntentId: input.paymentIntentId,
          tickets: input.seatIds.map((seatId) => ({
            seatId,
            code: signTicket(deps.config.ticketSigningSecret, input.orderId, seatId),
          })),
        });
        return transition;
      });
      await deps.seatMap.applyChanges(changes);
      return { orderId: input.orderId };
    },
  });
}

export type OrderActivities = ReturnType<typeof createOrderActivities>;
