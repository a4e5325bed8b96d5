// Owns one chaos run from start to verdict: the stack, the event, buyers and faults side by side, the
// bounded settling, the invariants and the reconciliation report, then the record. `npm run chaos`
// (main.ts) and the short run in `npm test` (test/chaos/short.test.ts) both call runChaos().
import { randomUUID } from 'node:crypto';
import { mintToken } from '../../api/auth';
import { reconcile } from '../../src/finance/reconcile';
import { createEvent } from '../flash-sale/buyers';
import { machineLoad } from '../lib/stats';
import { newSale, runBuyers } from './buyers';
import { runFaults } from './faults';
import { checkInvariants } from './invariants';
import type { ChaosOptions } from './options';
import { type ChaosResult, chaosResult } from './report';
import { probeStrandedSeats, waitForWorkflows } from './settle';
import { type ChaosStack, log, startChaosStack } from './stack';

export async function runChaos(options: ChaosOptions): Promise<ChaosResult> {
  const { params } = options;
  const run = randomUUID().slice(0, 8);
  const loadAtStart = machineLoad();
  const begun = Date.now();
  log(`run ${run}: ${params.seats} seats, ${params.buyers} buyers, ${params.durationSeconds} s of faults`);
  const stack = await startChaosStack(params, run);
  let green = false;
  try {
    const organizer = await mintToken(stack.jwtSecret, `chaos-organizer-${run}`, 'organizer');
    const eventId = await createEvent(stack.http, organizer, params.seats, `Chaos ${run}`, {
      holdSeconds: params.holdSeconds,
      maxSeatsPerBuyer: params.maxSeatsPerBuyer,
    });
    const sale = newSale(stack.http, eventId, params, stack.fixture, stack.jwtSecret);
    const startedAt = Date.now();
    log(`event ${eventId}: the sale and the faults begin`);
    const [{ lateArrivals }, injections] = await Promise.all([
      runBuyers(sale),
      runFaults(stack, sale, startedAt),
    ]);
    const saleMs = Date.now() - startedAt;

    log('sale over: clearing gateway faults, waiting for every workflow to end');
    await restoreEverything(stack);
    const settled = await waitForWorkflows(stack, params.settleTimeoutSeconds * 1000);
    const probes = await probeStrandedSeats(stack, sale);
    if (probes.length > 0) await waitForWorkflows(stack, 120_000);

    log('checking the invariants and reconciling');
    const gateway = { paymentIntents: stack.fixture.paymentIntents(), refunds: stack.fixture.refunds() };
    const invariants = await checkInvariants(stack.pool, sale, gateway, probes);
    const reconciliation = await reconcile(
      { pool: stack.pool, temporal: stack.client, stripe: stack.stripe },
      { eventId },
    ).catch((error: unknown) => ({ error: (error as Error).stack ?? String(error) }));
    const ids = [
      ...invariants.violations.map((v) => v.reservationId),
      ...('error' in reconciliation ? [] : reconciliation.discrepancies.map((d) => d.reservationId)),
    ].filter((id): id is string => Boolean(id));
    const result = chaosResult({
      run,
      params,
      loadAtStart,
      startedAt,
      saleMs,
      totalMs: Date.now() - begun,
      sale,
      lateArrivals,
      injections,
      crashes: Object.fromEntries(
        [stack.worker, stack.api, stack.temporal, stack.redis.process].map((p) => [p.name, p.crashes.length]),
      ),
      settled,
      probes,
      invariants,
      lifetimes: await lifetimes(stack, ids),
      reconciliation,
    });
    green = result.green;
    return result;
  } finally {
    await stack.stop(options.keepData ? 'all' : green ? 'nothing' : 'logs');
  }
}

/** After the last fault: no gateway fault left, and every process up (a fault that failed midway). */
async function restoreEverything(stack: ChaosStack): Promise<void> {
  (await fetch(`${stack.fixture.url}/__fixture/faults`, { method: 'DELETE' })).body?.cancel();
  if (!stack.redis.process.running) await stack.redis.process.start();
  // pg_ctl start refuses while the server runs; the query below says whether it does.
  await stack.postgres.start().catch(() => {});
  await stack.pool.query('select 1');
  if (!stack.temporal.running) await stack.temporal.start();
  if (!stack.worker.running) await stack.worker.start();
  if (!stack.api.running) await stack.api.start();
}

async function lifetimes(stack: ChaosStack, ids: string[]) {
  const { rows } = await stack.pool.query<{ id: string; created_at: Date; updated_at: Date }>(
    'select id, created_at, updated_at from reservations where id = any($1::text[])',
    [[...new Set(ids)]],
  );
  return new Map(
    rows.map((row) => [row.id, { from: row.created_at.getTime(), to: row.updated_at.getTime() }]),
  );
}
