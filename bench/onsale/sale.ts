// Owns one onsale of the benchmark: a fresh event with hot-spot demand, the crowd arriving over about ten
// seconds (part of it before salesOpenAt), every buyer holding 1-4 seats and paying, the bots, and what
// was seen: latencies, 202s, 5xx, time to sell out, the room's sessions and tau over time, fairness.
import { hash, randomUUID } from 'node:crypto';
import { mintToken } from '../../api/auth';
import { createQueueClient, QueueError } from '../../src/waiting-room/client';
import { solve } from '../../src/waiting-room/proof-of-work';
import { attempt, bodyField, confirm, type Hold, hold, shuffled } from '../flash-sale/buyers';
import { log, type Stack, type StackParams } from '../flash-sale/stack';
import { type HttpAnswer, type HttpClient, sleep } from '../lib/load';
import type { OnsaleParams } from './options';

const sha256 = (data: Uint8Array) => hash('sha256', data, 'buffer');

/** The venue: a front section a fifth of the seats that most buyers want, then the rest. */
const sections = [
  { id: 'FRONT', share: 0.2, price: 12_000 },
  { id: 'MID', share: 0.4, price: 8000 },
  { id: 'BACK', share: 0.4, price: 5000 },
];
const hotShare = 0.8;
const seatsPerRow = 50;
/** Buyers arriving before the sale opens do so over this many seconds, the rest over the remainder. */
const openAfterSeconds = 3;
/** The hardest proof of work a bot still solves (its own CPU is the benchmark's). */
const botMaxDifficulty = 10;

export type RoomSetting = 'off' | 'on';

export interface BuyerRecord {
  index: number;
  bot: boolean;
  /** ms since the run's start. */
  arrivedAt: number;
  preQueue: boolean;
  admittedAt?: number;
  attempts: number;
  holds: Hold[];
  confirm?: Awaited<ReturnType<typeof confirm>>;
  outcome: string;
  /** 5xx answers this buyer saw (any endpoint). */
  serverErrors: number;
}

export interface RoomSample {
  at: number;
  activeSessions: number;
  tau: number | null;
  admittedTotal: number;
}

/** A fetch for the queue client over the bench's keep-alive HTTP client (so both share its sockets). */
function fetchOver(http: HttpClient, counted: { serverErrors: number }): typeof fetch {
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(String(input));
    const authorization = new Headers(init?.headers).get('authorization') ?? '';
    const answer: HttpAnswer = await http
      .call(init?.method ?? 'GET', url.pathname + url.search, {
        token: authorization.replace(/^Bearer /, ''),
        body: typeof init?.body === 'string' ? JSON.parse(init.body) : undefined,
      })
      .catch((error: Error) => {
        // As fetch fails: a TypeError, which the queue client rides out like a refusal that says "later".
        throw new TypeError(`fetch failed: ${error.message}`);
      });
    if (answer.status >= 500) counted.serverErrors++;
    const headers = new Headers();
    const retryAfter = answer.headers['retry-after'];
    if (typeof retryAfter === 'string') headers.set('retry-after', retryAfter);
    return new Response(answer.body === undefined ? null : JSON.stringify(answer.body), {
      status: answer.status,
      headers,
    });
  }) as typeof fetch;
}

async function createVenue(
  stack: Stack<StackParams>,
  organizer: string,
  params: OnsaleParams,
  room: RoomSetting,
  openAt: Date,
) {
  const rowsOf = (seats: number) =>
    Array.from({ length: Math.ceil(seats / seatsPerRow) }, (_, i) => ({
      id: String(i + 1),
      seats: Math.min(seatsPerRow, seats - i * seatsPerRow),
    }));
  let left = params.seats;
  const venue = sections.map((section, index) => {
    const seats = index === sections.length - 1 ? left : Math.round(params.seats * section.share);
    left -= seats;
    return { id: section.id, name: section.id, price: section.price, rows: rowsOf(seats) };
  });
  const created = await stack.http.call('POST', '/v1/events', {
    token: organizer,
    body: {
      name: `onsale room-${room} ${randomUUID().slice(0, 6)}`,
      venue: 'Bench Arena',
      startsAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
      currency: 'EUR',
      holdSeconds: 600,
      maxSeatsPerBuyer: 4,
      salesOpenAt: openAt.toISOString(),
      ...(room === 'on' && {
        waitingRoom: {
          enabled: true,
          maxActiveSessions: params.maxActiveSessions,
          sessionSeconds: params.sessionSeconds,
          powDifficulty: params.powDifficulty,
        },
      }),
      sections: venue,
    },
  });
  if (created.status !== 201)
    throw new Error(`creating the event answered ${created.status}: ${JSON.stringify(created.body)}`);
  return bodyField(created, 'id') as string;
}

/** Sections in the order a buyer tries them: most want the front first. */
function preferences(index: number): string[] {
  const hot = (index * 7919) % 100 < hotShare * 100;
  const others = sections.slice(1).map((s) => s.id);
  return hot ? ['FRONT', ...others] : [...shuffled(others, index), 'FRONT'];
}

export async function runOnsale(stack: Stack<StackParams>, params: OnsaleParams, room: RoomSetting) {
  const organizer = await mintToken(stack.jwtSecret, `bench-onsale-org-${stack.run}`, 'organizer', '2h');
  const start = performance.now();
  const openAt = new Date(Date.now() + openAfterSeconds * 1000);
  const openMs = openAfterSeconds * 1000;
  const eventId = await createVenue(stack, organizer, params, room, openAt);
  const http = stack.http;

  const humans = Array.from({ length: params.buyers }, (_, i) => {
    const preQueue = i < params.preQueue;
    const arrivedAt = preQueue
      ? (i / Math.max(1, params.preQueue)) * openMs * 0.95
      : openMs +
        ((i - params.preQueue) / Math.max(1, params.buyers - params.preQueue)) *
          (params.arriveSeconds * 1000 - openMs);
    return { index: i, bot: false, arrivedAt, preQueue };
  });
  const bots = Array.from({ length: params.bots }, (_, i) => ({
    index: params.buyers + i,
    bot: true,
    arrivedAt: (i / Math.max(1, params.bots)) * params.arriveSeconds * 1000,
    preQueue: false,
  }));
  const crowd = [...humans, ...bots].map((b) => ({ ...b, preQueue: b.arrivedAt < openMs }));

  // The room's sessions and tau, twice a second, until the sale is over.
  const samples: RoomSample[] = [];
  let selling = true;
  const sampling = (async () => {
    while (selling) {
      const status = await attempt(http, 'GET', `/v1/events/${eventId}/queue/status`);
      const body = status.body as { activeSessions: number; tau: number | null; admittedTotal: number };
      if (status.status === 200) samples.push({ at: performance.now() - start, ...body });
      await sleep(500);
    }
  })();

  // What the crowd is doing, every five seconds, so a long run shows its progress.
  const live = { admitted: 0, holding: 0, bought: 0, done: 0 };
  const progress = setInterval(() => {
    log(
      `room ${room}: ${Math.round((performance.now() - start) / 1000)} s, ${JSON.stringify(live)} of ${crowd.length}`,
    );
  }, 5000);
  const records = await Promise.all(
    crowd.map(async (buyer): Promise<BuyerRecord> => {
      await sleep(Math.max(0, buyer.arrivedAt - (performance.now() - start)));
      const token = await mintToken(
        stack.jwtSecret,
        `onsale-${stack.run}-${room}-${buyer.index}`,
        'buyer',
        '2h',
      );
      const record: BuyerRecord = { ...buyer, attempts: 0, holds: [], outcome: 'none', serverErrors: 0 };
      let admissionToken: string | undefined;
      if (room === 'on') {
        const admitted = buyer.bot
          ? await botAdmission(http, eventId, token, params, record)
          : await humanAdmission(http, eventId, token, record);
        if (!admitted) {
          live.done++;
          return record;
        }
        admissionToken = admitted;
        record.admittedAt = performance.now() - start;
        live.admitted++;
      } else {
        // Without a room a buyer who came early reloads at the opening (a bot hammers from the start).
        const untilOpen = openMs - (performance.now() - start);
        if (untilOpen > 0 && !buyer.bot) await sleep(untilOpen + Math.random() * 500);
      }
      await shop(http, eventId, token, buyer.index, admissionToken, record, buyer.bot, live);
      live.done++;
      return record;
    }),
  );
  clearInterval(progress);
  selling = false;
  await sampling;
  return { room, eventId, openAt: openAt.toISOString(), startedAt: start, openMs, records, samples };
}

/** A human with the queue client: joins, waits as told, attempts; false when the room sold out. */
async function humanAdmission(http: HttpClient, eventId: string, token: string, record: BuyerRecord) {
  const client = createQueueClient({
    baseUrl: 'http://bench',
    eventId,
    token,
    fetch: fetchOver(http, record),
    sha256,
    onWaiting: (_place, attempts) => {
      record.attempts = attempts;
    },
  });
  try {
    const admission = await client.admission();
    record.attempts = admission.attempts;
    return admission.admissionToken;
  } catch (error) {
    record.outcome = error instanceof QueueError ? error.code : `error: ${(error as Error).message}`;
    return undefined;
  }
}

/** A bot: several places in the queue, attempts with each as fast as it can, ignoring every backoff. */
async function botAdmission(
  http: HttpClient,
  eventId: string,
  token: string,
  params: OnsaleParams,
  record: BuyerRecord,
) {
  const places: { queueToken: string; challenge: { challenge: string; difficulty: number } }[] = [];
  for (let i = 0; i < params.botTokens; i++) {
    const joined = await attempt(http, 'POST', `/v1/events/${eventId}/queue`, { token, body: {} });
    if (joined.status >= 500) record.serverErrors++;
    if (joined.status === 201) places.push(joined.body as (typeof places)[number]);
  }
  for (let round = 0; places.length > 0 && round < 2000; round++) {
    const index = round % places.length;
    const place = places[index] as (typeof places)[number];
    // A bot solves what is cheap and sends junk once its flags have made the challenge expensive.
    const solution =
      place.challenge.difficulty <= botMaxDifficulty
        ? await solve(sha256, place.challenge.challenge, place.challenge.difficulty)
        : 'junk';
    record.attempts++;
    const answer = await attempt(http, 'POST', `/v1/events/${eventId}/queue/admission`, {
      token,
      body: { queueToken: place.queueToken, solution },
    });
    if (answer.status >= 500) record.serverErrors++;
    const body = answer.body as { admitted?: boolean; admissionToken?: string; code?: string };
    if (answer.status === 200 && body.admitted) return body.admissionToken;
    if (answer.status === 200) places[index] = answer.body as (typeof places)[number];
    if (body.code === 'SOLD_OUT' || body.code === 'ALREADY_ADMITTED') {
      record.outcome = body.code;
      return undefined;
    }
    // As fast as it can, but no faster than the benchmark's own CPU allows (20 attempts a second).
    await sleep(50);
  }
  record.outcome = 'bot gave up';
  return undefined;
}

/** Holds 1-4 seats, trying the sections in the buyer's order, then pays. */
async function shop(
  http: HttpClient,
  eventId: string,
  token: string,
  index: number,
  admissionToken: string | undefined,
  record: BuyerRecord,
  bot: boolean,
  live: { holding: number; bought: number },
) {
  const quantity = 1 + (index % 4);
  const headers: Record<string, string> = admissionToken ? { 'admission-token': admissionToken } : {};
  // A bot without a room keeps trying for the front until the sale is over.
  const order = bot && !admissionToken ? Array.from({ length: 40 }, () => 'FRONT') : preferences(index);
  for (const [tryIndex, section] of order.entries()) {
    let held = await hold(
      http,
      token,
      eventId,
      { section, quantity },
      `onsale-${index}-${tryIndex}`,
      headers,
    );
    // Before the sale opens (a bot, without a room) a hold is refused: a bot comes straight back.
    while (held.code === 'SALES_NOT_OPEN') {
      await sleep(50);
      held = await hold(http, token, eventId, { section, quantity }, `onsale-${index}-${tryIndex}`, headers);
    }
    record.holds.push(held);
    if (held.status >= 500) record.serverErrors++;
    if (held.status === 201 && held.reservationId) {
      live.holding++;
      record.confirm = await confirm(http, token, held.reservationId, `onsale-${index}-confirm`);
      if (record.confirm.status >= 500) record.serverErrors++;
      record.outcome = record.confirm.status === 200 ? 'bought' : `confirm ${record.confirm.finalStatus}`;
      if (record.confirm.status === 200) live.bought++;
      return;
    }
    if (held.code !== 'SEATS_UNAVAILABLE' && held.code !== 'RATE_LIMITED') {
      record.outcome = `hold ${held.code ?? held.status}`;
      return;
    }
    if (held.code === 'RATE_LIMITED') await sleep(1000);
  }
  record.outcome = 'no seats left';
}
