// Owns the faults of a chaos run and their schedule: SIGKILL of the worker, restarts of Temporal, Postgres
// and Redis, the gateway failing (5xx, hanging past the attempt timer, losing its answer after charging,
// slow), and Temporal Cancel/Terminate of random live reservations. Each injection is recorded with its
// window so a violation can be traced to the faults around it. Bounded: a fixed list, each step timed.
import { shuffled } from '../flash-sale/buyers';
import { sleep } from '../lib/load';
import { card, type Sale, threeDsCard } from './buyers';
import type { ChaosParams } from './options';
import type { ChaosStack } from './stack';
import { log } from './stack';

export const processFaults = [
  'worker-sigkill',
  'temporal-restart',
  'postgres-restart',
  'redis-restart',
] as const;
export const gatewayFaults = [
  'gateway-5xx',
  'gateway-hang',
  'gateway-lost-response',
  'gateway-latency',
] as const;
export const workflowFaults = ['temporal-cancel', 'temporal-terminate'] as const;
export const faultKinds = [...processFaults, ...gatewayFaults, ...workflowFaults] as const;
export type FaultKind = (typeof faultKinds)[number];

export const faultDescriptions: Record<FaultKind, string> = {
  'worker-sigkill': 'worker killed with SIGKILL, started again',
  'temporal-restart': 'Temporal dev server stopped (SIGTERM) and started on its database file',
  'postgres-restart': 'Postgres crashed (pg_ctl stop -m immediate) and started (crash recovery)',
  'redis-restart': 'Redis killed (SIGKILL) and started empty',
  'gateway-5xx': 'the gateway answers 500 to the next charges (failWith5xx: 8)',
  'gateway-hang': 'the gateway holds charges past the attempt timer, then lets them finish',
  'gateway-lost-response': 'the gateway charges but the answer is lost (failAfterCharge)',
  'gateway-latency': 'the gateway answers 1.5 s late (latencyMs)',
  'temporal-cancel': 'Temporal Cancel of a random live reservation workflow',
  'temporal-terminate': 'Temporal Terminate of a random live reservation workflow',
};

export interface Injection {
  kind: FaultKind;
  /** Epoch ms: when the fault began and when everything it broke was back. */
  at: number;
  endedAt: number;
  ok: boolean;
  detail: string;
  /** The reservation a Temporal Cancel/Terminate hit. */
  target?: string;
}

/** Runs both schedules (process and gateway faults one after another; Temporal requests beside them). */
export async function runFaults(stack: ChaosStack, sale: Sale, startedAt: number): Promise<Injection[]> {
  const { params } = sale;
  const serial = shuffled(
    [...processFaults, ...gatewayFaults].flatMap((kind) => Array<FaultKind>(params.faultsPerKind).fill(kind)),
    params.seed + 2,
  );
  const requests = shuffled(
    [
      ...Array<FaultKind>(params.cancels).fill('temporal-cancel'),
      ...Array<FaultKind>(params.terminates).fill('temporal-terminate'),
    ],
    params.seed + 3,
  );
  const injections: Injection[] = [];
  const schedule = async (kinds: FaultKind[], from: number, to: number) => {
    for (const [index, kind] of kinds.entries()) {
      const due = startedAt + params.durationSeconds * 1000 * (from + ((to - from) * index) / kinds.length);
      if (due > Date.now()) await sleep(due - Date.now());
      const injection = await inject(stack, sale, kind, index);
      injections.push(injection);
      log(`fault ${kind}: ${injection.ok ? 'injected' : 'missed'} (${injection.detail})`);
    }
  };
  await Promise.all([schedule(serial, 0.1, 0.85), schedule(requests, 0.15, 0.9)]);
  return injections.sort((a, b) => a.at - b.at);
}

async function inject(stack: ChaosStack, sale: Sale, kind: FaultKind, index: number): Promise<Injection> {
  const at = Date.now();
  const done = (ok: boolean, detail: string, target?: string): Injection => ({
    kind,
    at,
    endedAt: Date.now(),
    ok,
    detail,
    target,
  });
  try {
    const detail = await injectOnce(stack, sale, kind, index);
    return typeof detail === 'string' ? done(true, detail) : done(detail.ok, detail.detail, detail.target);
  } catch (error) {
    return done(false, `failed: ${(error as Error).message}`);
  }
}

type Outcome = string | { ok: boolean; detail: string; target?: string };

async function injectOnce(stack: ChaosStack, sale: Sale, kind: FaultKind, index: number): Promise<Outcome> {
  const { params } = sale;
  const outage = params.outageSeconds * 1000;
  switch (kind) {
    case 'worker-sigkill': {
      const pid = stack.worker.pid;
      await stack.worker.kill('SIGKILL');
      await sleep(outage);
      await stack.worker.start();
      return `pid ${pid} killed; the new worker polls again`;
    }
    case 'temporal-restart':
      await stack.temporal.kill('SIGTERM');
      await sleep(outage);
      await stack.temporal.start();
      return 'down for the outage, then serving its persisted state';
    case 'postgres-restart':
      await stack.postgres.stop('immediate');
      await sleep(outage);
      await stack.postgres.start();
      return 'crashed, recovered and answering';
    case 'redis-restart':
      await stack.redis.process.kill('SIGKILL');
      await sleep(outage);
      await stack.redis.process.start();
      return 'killed, answering again (empty)';
    case 'gateway-5xx':
      return gatewayWindow(stack, { failWith5xx: 8 }, 6000);
    case 'gateway-hang':
      return gatewayWindow(stack, { hang: true }, (params.attemptTimeoutSeconds + 4) * 1000);
    case 'gateway-lost-response':
      return gatewayWindow(stack, { failAfterCharge: true }, 5000);
    case 'gateway-latency':
      return gatewayWindow(stack, { latencyMs: 1500 }, 8000);
    case 'temporal-cancel':
    case 'temporal-terminate':
      return workflowRequest(stack, sale, kind, index);
  }
}

/** Sets the fault on the cards buyers pay with through /__fixture/faults, for `windowMs`, then clears it. */
async function gatewayWindow(stack: ChaosStack, fault: Record<string, unknown>, windowMs: number) {
  const control = `${stack.fixture.url}/__fixture/faults`;
  for (const paymentMethodId of [card, threeDsCard]) {
    const set = await fetch(control, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ paymentMethodId, ...fault }),
    });
    await set.arrayBuffer();
    if (set.status !== 200) throw new Error(`/__fixture/faults answered ${set.status}`);
  }
  await sleep(windowMs);
  for (const paymentMethodId of [card, threeDsCard]) {
    (await fetch(`${control}/${paymentMethodId}`, { method: 'DELETE' })).body?.cancel();
  }
  return `${JSON.stringify(fault)} for ${windowMs / 1000} s on ${card} and ${threeDsCard}`;
}

/** Cancels or terminates one running reservation workflow the buyers still hold (tried a few times). */
async function workflowRequest(
  stack: ChaosStack,
  sale: Sale,
  kind: 'temporal-cancel' | 'temporal-terminate',
  index: number,
): Promise<Outcome> {
  let lastError = 'no live reservation';
  for (let round = 0; round < 3; round++) {
    const candidates = shuffled([...sale.live], sale.params.seed * 1000 + index * 10 + round).slice(0, 20);
    for (const id of candidates) {
      const handle = stack.client.workflow.getHandle(id);
      try {
        const { status } = await handle.describe();
        if (status.name !== 'RUNNING') {
          sale.live.delete(id);
          continue;
        }
        if (kind === 'temporal-cancel') await handle.cancel();
        else await handle.terminate('chaos run: terminated through the Temporal client');
        sale.live.delete(id);
        return {
          ok: true,
          detail: `${kind === 'temporal-cancel' ? 'cancelled' : 'terminated'} ${id}`,
          target: id,
        };
      } catch (error) {
        lastError = (error as Error).message;
        break;
      }
    }
    await sleep(2000);
  }
  return { ok: false, detail: `no target: ${lastError}` };
}

/** How many of each kind went in, as the report lists them. */
export function injectedCounts(injections: Injection[], params: ChaosParams) {
  const planned: Record<FaultKind, number> = Object.fromEntries(
    faultKinds.map((kind) => [
      kind,
      kind === 'temporal-cancel'
        ? params.cancels
        : kind === 'temporal-terminate'
          ? params.terminates
          : params.faultsPerKind,
    ]),
  ) as Record<FaultKind, number>;
  return faultKinds.map((kind) => ({
    kind,
    description: faultDescriptions[kind],
    planned: planned[kind],
    injected: injections.filter((i) => i.kind === kind && i.ok).length,
    missed: injections.filter((i) => i.kind === kind && !i.ok).length,
  }));
}
