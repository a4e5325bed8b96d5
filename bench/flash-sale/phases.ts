// Owns the flash sale's phases, each measured the same way (machine load before, CPU per component,
// wall-clock window; with observability on, scraped and its spans counted): the probe floor, the rush, the
// steady rate, the fast rejections and the bare node:http ceiling. Each returns what the results record.

import { mintToken } from '../../api/auth';
import { waitForLine } from '../../scripts/lib/processes';
import { cpuSpent } from '../lib/cpu';
import type { HttpAnswer, HttpClient } from '../lib/load';
import { closedLoop, createHttpClient, openLoop } from '../lib/load';
import { latency, machineLoad, perSecond } from '../lib/stats';
import {
  attempt,
  bodyField,
  type Confirm,
  checkout,
  confirm,
  createEvent,
  hold,
  seatIdsOf,
  shuffled,
} from './buyers';
import { countWorkflows, historyOf } from './history';
import { log, type Stack, waitFor } from './stack';

/** Runs `work` under the supervisor's (and the observer's) watch, with the load before it and the CPU and time it took. */
async function measured<T>(stack: Stack, phase: string, work: () => Promise<T>) {
  const loadavgBefore = machineLoad().loadavg;
  const watched = () => stack.supervisor.watch(work());
  const cpuBefore = stack.cpu();
  const started = performance.now();
  const value = await (stack.observer ? stack.observer.during(phase, watched) : watched());
  const windowMs = performance.now() - started;
  return { value, windowMs, cpuSeconds: cpuSpent(cpuBefore, stack.cpu()), loadavgBefore };
}

function statusCounts(statuses: (number | string | undefined)[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const status of statuses) counts[String(status)] = (counts[String(status)] ?? 0) + 1;
  return counts;
}

const window = (start: number[], end: number[]) =>
  start.length === 0 ? 0 : Math.max(...end) - Math.min(...start);

/** 1. The floor of this server: minimal workflows (start + one no-op activity + complete), closed loop. */
export async function probeFloor(stack: Stack) {
  const { params, run } = stack;
  log(`probe: ${params.probes} minimal workflows, ${params.concurrency} in flight`);
  await closedLoop(Array.from({ length: 50 }), params.concurrency, (_, i) =>
    stack.probeOnce(`probe-${run}-w${i}`),
  );
  const timed = await measured(stack, 'probe', () =>
    closedLoop(Array.from({ length: params.probes }), params.concurrency, async (_, i) => {
      const started = performance.now();
      await stack.probeOnce(`probe-${run}-${i}`);
      return performance.now() - started;
    }),
  );
  const probe = {
    workflows: params.probes,
    perSecond: perSecond(params.probes, timed.windowMs),
    latencyMs: latency(timed.value),
    cpuSeconds: timed.cpuSeconds,
    loadavgBefore: timed.loadavgBefore,
  };
  log(`probe: ${probe.perSecond} workflows/s, p99 ${probe.latencyMs.p99} ms`);
  return probe;
}

/**
 * 2. Buyers race for the seats (each seat wanted by buyers/seats of them, in shuffled order), at most
 * --concurrency holds in flight; every winner confirms at once. Also returns the exact hold window.
 */
export async function rushPhase(stack: Stack, organizer: string) {
  const { params, run, http, client } = stack;
  const rushEvent = await createEvent(http, organizer, params.seats, `Flash sale ${run}`);
  const rushSeats = seatIdsOf(params.seats);
  // --hot-share of the buyers want the front 20% of the seats; the others spread over the rest.
  const front = Math.max(1, Math.floor(params.seats * 0.2));
  const hotBuyers = Math.round(params.buyers * params.hotShare);
  const seatFor = (i: number) =>
    i < hotBuyers || front === params.seats ? i % front : front + (i % (params.seats - front));
  const buyers = shuffled(
    await Promise.all(
      Array.from({ length: params.buyers }, async (_, i) => ({
        index: i,
        token: await mintToken(stack.jwtSecret, `bench-${run}-${i}`, 'buyer'),
        seatId: rushSeats[seatFor(i)] as string,
      })),
    ),
    0x5eed,
  );
  log(`rush: ${params.buyers} buyers for ${params.seats} seats, ${params.concurrency} holds in flight`);
  const timed = await measured(stack, 'rush', async () => {
    const confirms: Promise<Confirm>[] = [];
    const holds = await closedLoop(buyers, params.concurrency, async (buyer) => {
      const held = await hold(http, buyer.token, rushEvent, buyer.seatId, `rush-${buyer.index}:hold`);
      // A winner pays at once, on their own: confirms don't hold up the next buyers' holds.
      if (held.status === 201 && held.reservationId) {
        confirms.push(confirm(http, buyer.token, held.reservationId, `rush-${buyer.index}:confirm`));
      }
      return held;
    });
    return { holds, confirms: await Promise.all(confirms) };
  });
  const { holds: rushHolds, confirms: rushConfirms } = timed.value;

  const soldReservation = rushHolds.find((h) => h.status === 201)?.reservationId;
  const histories = {
    checkout: soldReservation ? await historyOf(client, soldReservation).catch(() => undefined) : undefined,
    probe: await historyOf(client, `probe-${run}-0`).catch(() => undefined),
  };

  // Fast rejections never reach Temporal: every workflow of this event is a hold that went through.
  const holdsAnswered = rushHolds.length;
  const winners = rushHolds.filter((h) => h.status === 201);
  const conflicts = rushHolds.filter((h) => h.status === 409);
  const rejectedQuery = ' AND ReservationStatus = "REJECTED"';
  const [rushWorkflows, rejectedInWorkflow] = await waitFor<[number, number]>(
    'visibility',
    30_000,
    async () => {
      const total = await countWorkflows(client, rushEvent);
      const rejected = await countWorkflows(client, rushEvent, rejectedQuery);
      return total === winners.length + rejected ? [total, rejected] : undefined;
    },
  ).catch(async () => [
    await countWorkflows(client, rushEvent),
    await countWorkflows(client, rushEvent, rejectedQuery),
  ]);
  const fastRejected = conflicts.length - rejectedInWorkflow;
  const confirmed = rushConfirms.filter((c) => c.status === 200 && c.finalStatus === 'CONFIRMED');
  const holdWindow = window(
    rushHolds.map((h) => h.sentAt),
    rushHolds.map((h) => h.answeredAt),
  );
  const confirmWindow = window(
    rushConfirms.map((c) => c.sentAt),
    rushConfirms.map((c) => c.answeredAt),
  );
  const rush = {
    eventId: rushEvent,
    /** Seats at least one buyer asked for: each must end sold. */
    seatsWanted: new Set(buyers.map((buyer) => buyer.seatId)).size,
    holdsAnswered,
    holdStatuses: statusCounts(rushHolds.map((h) => (h.status === 409 ? `409 ${h.code}` : h.status))),
    holdRequestsPerSecond: perSecond(holdsAnswered, holdWindow),
    holdsGrantedPerSecond: perSecond(winners.length, holdWindow),
    holdLatencyMs: { all: latency(rushHolds.map((h) => h.ms)), granted: latency(winners.map((h) => h.ms)) },
    holdsRetriedAfter202: rushHolds.filter((h) => h.tries > 1).length,
    holdsAnswered202: rushHolds.filter((h) => h.firstStatus === 202).length,
    winners: winners.length,
    /** Paid with every answer inside the budget: a 200, perhaps after 503s that said when to come back. */
    winnersConfirmedWithinBudget: rushConfirms.filter((c) => c.status === 200 && c.answered202 === 0).length,
    confirmsRefusedAtOnce503: rushConfirms.filter((c) => c.firstStatus === 503).length,
    conflictRate: Math.round((conflicts.length / holdsAnswered) * 1000) / 1000,
    workflowsStarted: rushWorkflows,
    rejectedInWorkflow,
    fastRejected,
    fastRejectedShareOfConflicts: conflicts.length
      ? Math.round((fastRejected / conflicts.length) * 1000) / 1000
      : 0,
    fastRejectedShareOfRequests: Math.round((fastRejected / holdsAnswered) * 1000) / 1000,
    confirmStatuses: statusCounts(rushConfirms.map((c) => `${c.status} ${c.finalStatus}`)),
    confirmedPerSecond: perSecond(confirmed.length, confirmWindow),
    confirmLatencyMs: latency(rushConfirms.map((c) => c.ms)),
    confirmsRetriedAfter202: rushConfirms.filter((c) => c.tries > c.attempts).length,
    confirmsPaidAgainAfterTimeout: rushConfirms.filter((c) => c.attempts > 1).length,
    holdWindowMs: Math.round(holdWindow),
    confirmWindowMs: Math.round(confirmWindow),
    cpuSeconds: timed.cpuSeconds,
    loadavgBefore: timed.loadavgBefore,
    histories,
  };
  log(
    `rush: ${rush.holdRequestsPerSecond} hold answers/s, ${rush.confirmedPerSecond} checkouts/s, ` +
      `hold p99 ${rush.holdLatencyMs.all.p99} ms, confirm p99 ${rush.confirmLatencyMs.p99} ms`,
  );
  return { rush, holdWindowMs: holdWindow };
}

/** 3. Checkouts arriving at a fixed rate below what the rush sustained (open loop): a buyer's latency. */
export async function steadyPhase(stack: Stack, organizer: string, rushConfirmedPerSecond: number) {
  const { params, run, http, client } = stack;
  const sustained = Math.min(params.paymentRate, rushConfirmedPerSecond || params.paymentRate);
  const steadyRate = params.steadyRate ?? Math.max(1, Math.round(sustained * 0.8 * 10) / 10);
  const steadyCount = Math.max(1, Math.round(steadyRate * params.steadySeconds));
  const steadyEvent = await createEvent(http, organizer, steadyCount, `Steady sale ${run}`);
  const steadyBuyers = await Promise.all(
    seatIdsOf(steadyCount).map(async (seatId, i) => ({
      index: i,
      seatId,
      token: await mintToken(stack.jwtSecret, `bench-steady-${run}-${i}`, 'buyer'),
    })),
  );
  log(`steady: ${steadyCount} checkouts arriving at ${steadyRate}/s (80% of the sustained ${sustained}/s)`);
  const timed = await measured(stack, 'steady', () =>
    openLoop(steadyBuyers, steadyRate, 2000, (buyer) =>
      checkout(http, buyer.token, steadyEvent, buyer.seatId, `steady-${buyer.index}`),
    ),
  );
  const steadyHolds = timed.value.results.map((r) => r.hold);
  const steadyConfirms = timed.value.results.flatMap((r) => (r.confirm ? [r.confirm] : []));
  const steadySample = steadyHolds[Math.floor(steadyHolds.length / 2)]?.reservationId;
  const steady = {
    eventId: steadyEvent,
    offeredPerSecond: steadyRate,
    checkouts: steadyCount,
    lateArrivals: timed.value.lateArrivals,
    holdStatuses: statusCounts(steadyHolds.map((h) => h.status)),
    holdLatencyMs: latency(steadyHolds.map((h) => h.ms)),
    confirmStatuses: statusCounts(steadyConfirms.map((c) => `${c.status} ${c.finalStatus}`)),
    confirmLatencyMs: latency(steadyConfirms.map((c) => c.ms)),
    confirmedPerSecond: perSecond(
      steadyConfirms.filter((c) => c.finalStatus === 'CONFIRMED').length,
      window(
        steadyHolds.map((h) => h.sentAt),
        steadyConfirms.map((c) => c.answeredAt),
      ),
    ),
    cpuSeconds: timed.cpuSeconds,
    loadavgBefore: timed.loadavgBefore,
    history: steadySample ? await historyOf(client, steadySample).catch(() => undefined) : undefined,
  };
  log(`steady: hold p99 ${steady.holdLatencyMs.p99} ms, confirm p99 ${steady.confirmLatencyMs.p99} ms`);
  return steady;
}

export type LateBuyers = Awaited<ReturnType<typeof lateBuyers>>;

/** Buyers who come after the rush: holds for its sold seats, the requests of phases 4 and 5. */
export async function lateBuyers(stack: Stack, eventId: string) {
  const { params, run } = stack;
  const tokens = await Promise.all(
    Array.from({ length: Math.min(4000, Math.ceil(params.rejects / 5)) }, (_, i) =>
      mintToken(stack.jwtSecret, `bench-late-${run}-${i}`, 'buyer'),
    ),
  );
  // Seats the rush sold (with --hot-share, some seats nobody wanted stay on sale).
  const { rows } = await stack.pool.query<{ seat_id: string }>(
    `select seat_id from seats where event_id = $1 and status = 'sold' order by seat_id`,
    [eventId],
  );
  const seats = rows.map((row) => row.seat_id);
  return {
    eventId,
    /** Requests sent before the timed ones, to warm the server's paths and the client's sockets. */
    warmup: Math.min(2000, Math.ceil(params.rejects / 10)),
    hold: (http: HttpClient, keyPrefix: string, i: number): Promise<HttpAnswer> =>
      attempt(http, 'POST', `/v1/events/${eventId}/reservations`, {
        token: tokens[i % tokens.length],
        body: { seatIds: [seats[i % seats.length]] },
        headers: { 'idempotency-key': `${keyPrefix}-${i}` },
      }),
  };
}

/** The warmup, then --rejects timed holds for sold seats (fresh keys), --reject-concurrency in flight. */
async function soldSeatLoad(
  stack: Stack,
  phase: string,
  late: LateBuyers,
  http: HttpClient,
  keyPrefix: string,
) {
  const { rejects, rejectConcurrency } = stack.params;
  await closedLoop(Array.from({ length: late.warmup }), rejectConcurrency, (_, i) =>
    late.hold(http, keyPrefix, i),
  );
  return measured(stack, phase, () =>
    closedLoop(Array.from({ length: rejects }), rejectConcurrency, (_, i) =>
      late.hold(http, keyPrefix, late.warmup + i),
    ),
  );
}

/** 4. Holds for seats already sold, answered from the seat map without a workflow. */
export async function fastRejections(stack: Stack, late: LateBuyers) {
  const { params, client } = stack;
  const workflowsBefore = await countWorkflows(client, late.eventId);
  log(`rejects: ${params.rejects} holds for sold seats, ${params.rejectConcurrency} in flight`);
  const timed = await soldSeatLoad(stack, 'rejects', late, stack.http, 'late');
  const rejects = {
    requests: params.rejects,
    statuses: statusCounts(timed.value.map((a) => `${a.status} ${bodyField(a, 'code') ?? ''}`.trim())),
    perSecond: perSecond(params.rejects, timed.windowMs),
    latencyMs: latency(timed.value.map((a) => a.ms)),
    workflowsStarted: (await countWorkflows(client, late.eventId)) - workflowsBefore,
    cpuSeconds: timed.cpuSeconds,
    loadavgBefore: timed.loadavgBefore,
  };
  log(`rejects: ${rejects.perSecond}/s, p99 ${rejects.latencyMs.p99} ms`);
  return rejects;
}

/** A do-nothing HTTP server that reads the body and answers a problem+json 409: the floor for rejects. */
const bareHttpServer = `
const http = require('node:http');
const body = JSON.stringify({ type: 'about:blank', title: 'Conflict', status: 409, code: 'SEATS_UNAVAILABLE' });
const server = http.createServer((req, res) => {
  req.on('data', () => {});
  req.on('end', () => {
    res.writeHead(409, { 'content-type': 'application/problem+json' });
    res.end(body);
  });
});
server.listen(0, '127.0.0.1', () => console.log('listening ' + server.address().port));
`;

/** 5. The same requests answered 409 by a do-nothing node:http server: this machine's HTTP ceiling. */
export async function bareHttpCeiling(stack: Stack, late: LateBuyers) {
  const { supervisor, params } = stack;
  const bare = supervisor.start({
    name: 'bare-http',
    command: process.execPath,
    args: ['-e', bareHttpServer],
    env: process.env,
    stopGraceMs: 2000,
  });
  const barePort = Number((await supervisor.watch(waitForLine(bare, /^listening (\d+)$/, 30_000)))[1]);
  const bareHttp = createHttpClient(`http://127.0.0.1:${barePort}`, params.rejectConcurrency);
  stack.onStop(() => bareHttp.close());
  const timed = await soldSeatLoad(stack, 'bare HTTP', late, bareHttp, 'bare');
  const bareFloor = { perSecond: perSecond(params.rejects, timed.windowMs) };
  log(`bare HTTP: ${bareFloor.perSecond}/s`);
  return bareFloor;
}
