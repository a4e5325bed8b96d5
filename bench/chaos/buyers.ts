// Owns the chaos run's buyers: who does what (pay, be declined and pay again, cancel, abandon, 3-D Secure
// completed or failed, grab more than the buyer limit), the seats they ask for, and the registry of live
// reservations the faults pick their Temporal targets from. Buyers arrive spread over the run, bounded.
import { mintToken } from '../../api/auth';
import type { StripeFixture } from '../../scripts/lib/stripe-fixture';
import { reservationIdFor } from '../../src/checkout/reservation-id';
import { seatIdsOf, shuffled } from '../flash-sale/buyers';
import { type HttpClient, openLoop, sleep } from '../lib/load';
import { BuyerClient, bodyField, newTally, type Tally, transient } from './client';
import type { ChaosParams } from './options';

export const plans = [
  'pay',
  'declineThenPay',
  'declineThenCancel',
  'threeDsSucceeded',
  'threeDsFailed',
  'cancel',
  'abandon',
  'greedy',
] as const;
export type Plan = (typeof plans)[number];

/** Shares of the buyers, in percent. */
const planShares: Record<Plan, number> = {
  pay: 55,
  declineThenPay: 8,
  declineThenCancel: 4,
  threeDsSucceeded: 8,
  threeDsFailed: 5,
  cancel: 10,
  abandon: 5,
  greedy: 5,
};

export const card = 'pm_card_visa';
export const threeDsCard = 'pm_card_authenticationRequired';
const declinedCard = 'pm_card_chargeDeclined';

export interface Sale {
  eventId: string;
  params: ChaosParams;
  client: BuyerClient;
  tally: Tally;
  fixture: StripeFixture;
  jwtSecret: string;
  /** Every hold the run asked for, by reservation id (derived as the API derives it). */
  requests: Map<string, { buyerId: string; seats: number }>;
  /** Reservations whose buyers are still with them: the Temporal Cancel/Terminate targets. */
  live: Set<string>;
  outcomes: Record<Plan, Record<string, number>>;
  /** 3-D Secure confirms whose answers carried no payment.nextAction (found at the gateway instead). */
  threeDsWithoutNextAction: number;
}

export function newSale(
  http: HttpClient,
  eventId: string,
  params: ChaosParams,
  fixture: StripeFixture,
  jwtSecret: string,
): Sale {
  const tally = newTally();
  return {
    eventId,
    params,
    client: new BuyerClient(http, tally),
    tally,
    fixture,
    jwtSecret,
    requests: new Map(),
    live: new Set(),
    outcomes: Object.fromEntries(plans.map((plan) => [plan, {}])) as Sale['outcomes'],
    threeDsWithoutNextAction: 0,
  };
}

/** Runs every buyer: arrivals at buyers/duration per second, at most `concurrency` in flight. */
export async function runBuyers(sale: Sale): Promise<{ lateArrivals: number }> {
  const { buyers, durationSeconds, concurrency, seed } = sale.params;
  const mix = shuffled(
    plans.flatMap((plan) => Array<Plan>(Math.round((planShares[plan] * buyers) / 100)).fill(plan)),
    seed,
  );
  const seatOrder = shuffled(seatIdsOf(sale.params.seats), seed + 1);
  const indices = Array.from({ length: buyers }, (_, i) => i);
  const { lateArrivals } = await openLoop(indices, buyers / durationSeconds, concurrency, (index) =>
    runBuyer(sale, index, mix[index % mix.length] ?? 'pay', seatOrder),
  );
  return { lateArrivals };
}

async function runBuyer(sale: Sale, index: number, plan: Plan, seatOrder: string[]): Promise<void> {
  const buyerId = `chaos-buyer-${index}`;
  const token = await mintToken(sale.jwtSecret, buyerId, 'buyer');
  const { holdSeconds, paymentWindowSeconds } = sale.params;
  const deadline = Date.now() + (holdSeconds + paymentWindowSeconds + 60) * 1000;
  const buyer = { id: buyerId, token, deadline };
  const record = (outcome: string) => {
    const counts = sale.outcomes[plan];
    counts[outcome] = (counts[outcome] ?? 0) + 1;
  };
  if (plan === 'greedy') {
    // More than the limit at once: three holds of two seats against maxSeatsPerBuyer (4 by default).
    const holds = await Promise.all(
      [1, 2, 3].map((n) => hold(sale, buyer, `greedy-${n}`, { section: 'A', quantity: 2 })),
    );
    for (const held of holds) {
      if (held.kind !== 'held') record(held.outcome);
      else {
        record(await payUntilDone(sale, buyer, held.id, card));
        sale.live.delete(held.id);
      }
    }
    return;
  }
  // Half ask for seats by id (the contended path), half for the best available; every third wants two.
  const count = index % 3 === 0 ? 2 : 1;
  const body =
    index % 2 === 0 ? { seatIds: seatsFrom(seatOrder, index, count) } : { section: 'A', quantity: count };
  const held = await hold(sale, buyer, 'hold', body);
  if (held.kind !== 'held') return record(held.outcome);
  await sleep((index * 37) % 1200);
  record(await follow(sale, buyer, held.id, plan));
  if (plan !== 'abandon') sale.live.delete(held.id);
}

interface Buyer {
  id: string;
  token: string;
  deadline: number;
}

/** What the plan does once the seats are held; returns the buyer's outcome. */
async function follow(sale: Sale, buyer: Buyer, id: string, plan: Plan): Promise<string> {
  switch (plan) {
    case 'pay':
    case 'greedy':
      return payUntilDone(sale, buyer, id, card);
    case 'declineThenPay': {
      const first = await pay(sale, buyer, id, declinedCard, 1);
      if (first !== 'declined') return `first card ${first}`;
      return payUntilDone(sale, buyer, id, card, 2);
    }
    case 'declineThenCancel': {
      const first = await pay(sale, buyer, id, declinedCard, 1);
      if (first !== 'declined') return `first card ${first}`;
      return cancel(sale, buyer, id);
    }
    case 'threeDsSucceeded':
      return pay(sale, buyer, id, threeDsCard, 1, 'succeeded');
    case 'threeDsFailed': {
      const first = await pay(sale, buyer, id, threeDsCard, 1, 'failed');
      if (first !== 'declined') return `3-D Secure: ${first}`;
      return payUntilDone(sale, buyer, id, card, 2);
    }
    case 'cancel':
      return cancel(sale, buyer, id);
    case 'abandon':
      return 'abandoned';
  }
}

function seatsFrom(order: string[], index: number, count: number): string[] {
  const first = order[index % order.length] as string;
  if (count === 1) return [first];
  // The neighbour in the same row (seat ids are A-<row>-<n>, 50 to a row).
  const [section, row, n] = first.split('-');
  const seat = Number(n);
  const neighbour = seat < 50 && order.includes(`${section}-${row}-${seat + 1}`) ? seat + 1 : seat - 1;
  return [first, `${section}-${row}-${neighbour}`];
}

type Held = { kind: 'held'; id: string } | { kind: 'refused'; outcome: string };

async function hold(sale: Sale, buyer: Buyer, key: string, body: Record<string, unknown>): Promise<Held> {
  const id = reservationIdFor(buyer.id, key);
  const seats = 'seatIds' in body ? (body.seatIds as string[]).length : Number(body.quantity);
  sale.requests.set(id, { buyerId: buyer.id, seats });
  const answer = await sale.client.untilFinal(
    'hold',
    'POST',
    `/v1/events/${sale.eventId}/reservations`,
    { token: buyer.token, body, headers: { 'idempotency-key': key } },
    Math.min(buyer.deadline, Date.now() + 90_000),
  );
  if (answer.status === 201) {
    sale.live.add(id);
    return { kind: 'held', id };
  }
  return { kind: 'refused', outcome: `hold ${answer.status} ${bodyField(answer, 'code') ?? ''}`.trim() };
}

/** Pays with `paymentMethodId`, trying again (new attempt) while the answer is "not charged". */
async function payUntilDone(sale: Sale, buyer: Buyer, id: string, paymentMethodId: string, from = 1) {
  let outcome = 'not tried';
  for (let attempt = from; attempt <= 3; attempt++) {
    outcome = await pay(sale, buyer, id, paymentMethodId, attempt);
    if (outcome !== 'not charged') return outcome;
  }
  return outcome;
}

/**
 * One payment attempt: its own Idempotency-Key, re-sent while in progress. With 3-D Secure the answer is
 * 202 PAYING with payment.nextAction; the buyer finishes the challenge (`threeDs`) at the gateway and
 * reads the reservation until the webhook's outcome shows.
 */
async function pay(
  sale: Sale,
  buyer: Buyer,
  id: string,
  paymentMethodId: string,
  attempt: number,
  threeDs?: 'succeeded' | 'failed',
): Promise<string> {
  const answer = await sale.client.untilFinal(
    'confirm',
    'POST',
    `/v1/reservations/${id}/confirm`,
    { token: buyer.token, body: { paymentMethodId }, headers: { 'idempotency-key': `pay-${attempt}` } },
    buyer.deadline,
    (a) => !transient(a) || (threeDs !== undefined && a.status === 202),
  );
  if (threeDs && answer.status === 202) return completeThreeDs(sale, buyer, id, threeDs, answer.body);
  const code = bodyField(answer, 'code');
  if (answer.status === 200) return bodyField(answer, 'status') === 'CONFIRMED' ? 'confirmed' : 'paid?';
  if (answer.status === 402) return code === 'PAYMENT_DECLINED' ? 'declined' : 'not charged';
  return `confirm ${answer.status} ${code ?? ''}`.trim();
}

interface View {
  status?: string;
  payment?: { nextAction?: { clientSecret?: string } };
}

/** The buyer's side of 3-D Secure: the challenge named by payment.nextAction, then the outcome. */
async function completeThreeDs(
  sale: Sale,
  buyer: Buyer,
  id: string,
  outcome: 'succeeded' | 'failed',
  paying: unknown,
): Promise<string> {
  const read = async () =>
    (await sale.client.send('read', 'GET', `/v1/reservations/${id}`, { token: buyer.token })) as {
      status: number;
      body: View | undefined;
    };
  let view = paying as View | undefined;
  let paymentIntentId: string | undefined;
  for (let tries = 0; tries < 60 && Date.now() < buyer.deadline; tries++) {
    const secret = view?.payment?.nextAction?.clientSecret;
    paymentIntentId = secret?.split('_secret_')[0];
    if (paymentIntentId) break;
    // The attempt ended before its challenge showed (timed out at a hanging gateway: not charged).
    if (view?.status && view.status !== 'PAYING') return `no challenge, reservation ${view.status}`;
    if (tries >= 10) {
      // No nextAction after a while: find the challenge at the gateway, and say so in the report.
      paymentIntentId = sale.fixture
        .paymentIntents()
        .find((pi) => pi.metadata.reservationId === id && pi.status === 'requires_action')?.id;
      if (paymentIntentId) {
        sale.threeDsWithoutNextAction += 1;
        break;
      }
    }
    await sleep(500);
    const answer = await read();
    view = answer.status === 200 ? answer.body : undefined;
  }
  if (!paymentIntentId) return '3-D Secure challenge never shown';
  const completed = await fetch(
    `${sale.fixture.url}/__fixture/payment_intents/${paymentIntentId}/complete_action`,
    { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ outcome }) },
  );
  sale.tally.fixture[completed.status] = (sale.tally.fixture[completed.status] ?? 0) + 1;
  await completed.arrayBuffer();
  if (completed.status !== 200) return `3-D Secure complete_action ${completed.status}`;
  // The outcome reaches the checkout by webhook; the buyer watches the reservation.
  while (Date.now() < buyer.deadline) {
    await sleep(500);
    const answer = await read();
    const status = answer.status === 200 ? answer.body?.status : undefined;
    if (status === 'CONFIRMED') return 'confirmed';
    if (status === 'HELD') return 'declined';
    if (status && status !== 'PAYING') return `3-D Secure then ${status}`;
  }
  return '3-D Secure outcome never shown';
}

async function cancel(sale: Sale, buyer: Buyer, id: string): Promise<string> {
  const answer = await sale.client.untilFinal(
    'cancel',
    'DELETE',
    `/v1/reservations/${id}`,
    { token: buyer.token },
    buyer.deadline,
  );
  if (answer.status === 204) return 'cancelled';
  return `cancel ${answer.status} ${bodyField(answer, 'code') ?? ''}`.trim();
}
