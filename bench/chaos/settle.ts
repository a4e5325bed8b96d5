// Owns the end of a chaos run before the checks: every fault cleared, every workflow ended (a bounded
// wait), and every seat still held by a reservation whose workflow has ended probed, once its lease and
// the grace have lapsed, with a real hold through the API: back on sale, or kept off sale forever.
import { mintToken } from '../../api/auth';
import { reservationIdFor } from '../../src/checkout/reservation-id';
import { sleep } from '../lib/load';
import type { Sale } from './buyers';
import { bodyField } from './client';
import type { ChaosStack } from './stack';
import { log } from './stack';

export interface Settled {
  waitedMs: number;
  /** Workflows still running when the bounded wait gave up (ids, at most 20). */
  stillRunning: { count: number; ids: string[] };
}

/** Waits until Temporal has no running workflow, polling every 2 s, for at most `timeoutMs`. */
export async function waitForWorkflows(stack: ChaosStack, timeoutMs: number): Promise<Settled> {
  const started = Date.now();
  let running = Number.POSITIVE_INFINITY;
  let lastLog = 0;
  while (Date.now() - started < timeoutMs) {
    try {
      running = (await stack.client.workflow.count('ExecutionStatus = "Running"')).count;
      if (running === 0) break;
      if (Date.now() - lastLog > 15_000) {
        log(`waiting for ${running} running workflows`);
        lastLog = Date.now();
      }
    } catch (error) {
      log(`counting running workflows: ${(error as Error).message}`);
    }
    await sleep(2000);
  }
  const ids: string[] = [];
  if (running > 0) {
    for await (const workflow of stack.client.workflow.list({ query: 'ExecutionStatus = "Running"' })) {
      ids.push(`${workflow.workflowId} (${workflow.type})`);
      if (ids.length >= 20) break;
    }
  }
  return {
    waitedMs: Date.now() - started,
    stillRunning: { count: Number.isFinite(running) ? running : -1, ids },
  };
}

export interface LeaseProbe {
  seatId: string;
  reservationId: string;
  heldUntil: string;
  workflowStatus: string;
  /** What a fresh hold of just this seat answered once lease + grace had lapsed. */
  probe: string;
  backOnSale: boolean;
}

/**
 * Invariant 5's end: a held seat whose workflow has ended must come back on sale once its lease has
 * lapsed by the grace. Waits (bounded) for the lapse, then holds each such seat as a new buyer and
 * cancels that hold again.
 */
export async function probeStrandedSeats(stack: ChaosStack, sale: Sale): Promise<LeaseProbe[]> {
  const { rows } = await stack.pool.query<{
    seat_id: string;
    reservation_id: string;
    held_until: Date | null;
  }>(
    `select seat_id, reservation_id, held_until from seats
      where event_id = $1 and status = 'held' order by seat_id`,
    [sale.eventId],
  );
  if (rows.length === 0) return [];
  const grace = sale.params.holdGraceSeconds * 1000;
  const lapseAt = Math.max(...rows.map((row) => (row.held_until?.getTime() ?? Date.now()) + grace)) + 2000;
  const wait = Math.min(Math.max(lapseAt - Date.now(), 0), (sale.params.holdSeconds + 120) * 1000);
  log(
    `${rows.length} seats still held after every workflow ended; probing them in ${Math.round(wait / 1000)} s`,
  );
  await sleep(wait);
  const probes: LeaseProbe[] = [];
  for (const [index, row] of rows.entries()) {
    const workflowStatus = await stack.client.workflow
      .getHandle(row.reservation_id)
      .describe()
      .then(
        (description) => description.status.name,
        (error: unknown) => `not found (${(error as Error).name})`,
      );
    if (workflowStatus === 'RUNNING') {
      // Not stranded: its workflow will release it (a workflow that never ends is reported on its own).
      probes.push({
        ...seatOf(row),
        workflowStatus,
        probe: 'not probed: workflow running',
        backOnSale: true,
      });
      continue;
    }
    const buyerId = `chaos-probe-${index}`;
    const token = await mintToken(stack.jwtSecret, buyerId, 'buyer');
    const key = `probe-${row.seat_id}`;
    sale.requests.set(reservationIdFor(buyerId, key), { buyerId, seats: 1 });
    const held = await sale.client.untilFinal(
      'hold',
      'POST',
      `/v1/events/${sale.eventId}/reservations`,
      { token, body: { seatIds: [row.seat_id] }, headers: { 'idempotency-key': key } },
      Date.now() + 60_000,
    );
    if (held.status === 201) {
      const id = bodyField(held, 'id') as string;
      await sale.client.untilFinal(
        'cancel',
        'DELETE',
        `/v1/reservations/${id}`,
        { token },
        Date.now() + 60_000,
      );
    }
    probes.push({
      ...seatOf(row),
      workflowStatus,
      probe: `${held.status} ${bodyField(held, 'code') ?? ''}`.trim(),
      backOnSale: held.status === 201,
    });
  }
  return probes;
}

const seatOf = (row: { seat_id: string; reservation_id: string; held_until: Date | null }) => ({
  seatId: row.seat_id,
  reservationId: row.reservation_id,
  heldUntil: row.held_until?.toISOString() ?? 'none',
});
