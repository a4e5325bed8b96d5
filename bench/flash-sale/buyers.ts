// Owns what a buyer (and the organizer) does over HTTP in the flash sale: create the event, hold a seat,
// confirm and pay, each retried the way a well-behaved client would, and timed from the first send.
import type { HttpAnswer, HttpClient } from '../lib/load';
import { sleep } from '../lib/load';

export interface Hold {
  status: number;
  /** The first answer's status: 202 means the buyer was told to come back (the wait budget ran out). */
  firstStatus: number;
  code?: string;
  reservationId?: string;
  ms: number;
  tries: number;
  sentAt: number;
  answeredAt: number;
}

export interface Confirm {
  status: number;
  /** The first answer's status. */
  firstStatus: number;
  /** Answers that were 202 (still paying after the wait budget); a 503 with Retry-After is not one. */
  answered202: number;
  finalStatus?: string;
  ms: number;
  tries: number;
  /** Payment attempts the buyer made: a 402 PAYMENT_FAILED (timed out, not charged) is tried again. */
  attempts: number;
  sentAt: number;
  answeredAt: number;
}

export interface Checkout {
  hold: Hold;
  confirm?: Confirm;
}

/** A request that failed without an answer counts as status 0 (code: the network error), not a crash. */
export async function attempt(
  http: HttpClient,
  ...args: Parameters<HttpClient['call']>
): Promise<HttpAnswer> {
  const started = performance.now();
  try {
    return await http.call(...args);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    return { status: 0, body: { code }, ms: performance.now() - started, headers: {} };
  }
}

export const bodyField = (answer: HttpAnswer, field: string): string | undefined => {
  const body = answer.body as Record<string, unknown> | undefined;
  const value = body?.[field];
  return typeof value === 'string' ? value : undefined;
};

/** How long a 503 asks the client to wait (its Retry-After, in the body too), else a short pause. */
function retryDelayMs(answer: HttpAnswer): number {
  const seconds = (answer.body as { retryAfterSeconds?: unknown } | undefined)?.retryAfterSeconds;
  return typeof seconds === 'number' ? seconds * 1000 : 100;
}

/** What a hold asks for: one seat, explicit seats, or best available in a section. */
export type SeatAsk = string | { seatIds: string[] } | { section: string; quantity: number };

/** One hold as a client makes it: 202 (wait budget spent) and 503 (overloaded) retry with the same key. */
export async function hold(
  http: HttpClient,
  token: string,
  eventId: string,
  ask: SeatAsk,
  key: string,
  headers: Record<string, string> = {},
) {
  const sentAt = performance.now();
  let answer: HttpAnswer | undefined;
  let firstStatus: number | undefined;
  let tries = 0;
  while (tries < 30 && (answer === undefined || answer.status === 202 || answer.status === 503)) {
    if (answer?.status === 503) await sleep(retryDelayMs(answer));
    tries++;
    answer = await attempt(http, 'POST', `/v1/events/${eventId}/reservations`, {
      token,
      body: typeof ask === 'string' ? { seatIds: [ask] } : ask,
      headers: { 'idempotency-key': key, ...headers },
    });
    firstStatus ??= answer.status;
  }
  const final = answer as HttpAnswer;
  const answeredAt = performance.now();
  return {
    status: final.status,
    firstStatus: firstStatus ?? 0,
    code: bodyField(final, 'code'),
    reservationId: final.status === 201 ? bodyField(final, 'id') : undefined,
    ms: answeredAt - sentAt,
    tries,
    sentAt,
    answeredAt,
  } satisfies Hold;
}

/**
 * A buyer paying: a 202 (payment still queued) is re-sent with the same key, which joins the first
 * update; a 402 PAYMENT_FAILED ("not charged, try again") is a new attempt with a new key, as the
 * reservation allows (MAX_PAYMENT_ATTEMPTS, 3 by default).
 */
export async function confirm(http: HttpClient, token: string, reservationId: string, key: string) {
  const sentAt = performance.now();
  let answer: HttpAnswer | undefined;
  let tries = 0;
  let attempts = 0;
  let firstStatus: number | undefined;
  let answered202 = 0;
  const retryable = (a: HttpAnswer | undefined) =>
    a === undefined || a.status === 202 || a.status === 503 || bodyField(a, 'code') === 'PAYMENT_FAILED';
  while (tries < 60 && attempts <= 3 && retryable(answer)) {
    if (answer?.status === 503) await sleep(retryDelayMs(answer));
    if (answer === undefined || answer.status === 402) attempts++;
    if (attempts > 3) break;
    tries++;
    answer = await attempt(http, 'POST', `/v1/reservations/${reservationId}/confirm`, {
      token,
      body: { paymentMethodId: 'pm_card_visa' },
      headers: { 'idempotency-key': `${key}:${attempts}` },
    });
    firstStatus ??= answer.status;
    if (answer.status === 202) answered202++;
  }
  const final = answer as HttpAnswer;
  const answeredAt = performance.now();
  return {
    status: final.status,
    firstStatus: firstStatus ?? 0,
    answered202,
    finalStatus: bodyField(final, 'status') ?? bodyField(final, 'code'),
    ms: answeredAt - sentAt,
    tries,
    attempts,
    sentAt,
    answeredAt,
  } satisfies Confirm;
}

export async function checkout(
  http: HttpClient,
  token: string,
  eventId: string,
  seatId: string,
  key: string,
) {
  const held = await hold(http, token, eventId, seatId, `${key}:hold`);
  if (held.status !== 201 || !held.reservationId) return { hold: held } satisfies Checkout;
  return {
    hold: held,
    confirm: await confirm(http, token, held.reservationId, `${key}:confirm`),
  } satisfies Checkout;
}

/** A deterministic shuffle (mulberry32), so runs with the same flags race the same way. */
export function shuffled<T>(items: T[], seed: number): T[] {
  let state = seed >>> 0;
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}

const seatsPerRow = 50;
export const seatIdsOf = (seats: number) =>
  Array.from({ length: seats }, (_, i) => `A-${Math.floor(i / seatsPerRow) + 1}-${(i % seatsPerRow) + 1}`);

export async function createEvent(
  http: HttpClient,
  organizer: string,
  seats: number,
  name: string,
  policy: { holdSeconds: number; maxSeatsPerBuyer: number } = { holdSeconds: 600, maxSeatsPerBuyer: 4 },
) {
  const rows = Array.from({ length: Math.ceil(seats / seatsPerRow) }, (_, i) => ({
    id: String(i + 1),
    seats: Math.min(seatsPerRow, seats - i * seatsPerRow),
  }));
  const created = await http.call('POST', '/v1/events', {
    token: organizer,
    body: {
      name,
      venue: 'Bench Arena',
      startsAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
      currency: 'EUR',
      ...policy,
      sections: [{ id: 'A', name: 'Floor', price: 5000, rows }],
    },
  });
  if (created.status !== 201) throw new Error(`creating the event answered ${created.status}`);
  return bodyField(created, 'id') as string;
}
