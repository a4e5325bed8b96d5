// The waiting room end to end (DESIGN.md, "Flash-sale front door"): the real app, worker (the onsale
// workflow and its activities), Postgres, Redis and Temporal. Joining before the sale opens, early,
// forged, foreign, expired and reused tokens, bad solutions, the session limit, holds that need an
// admission, the room closing on sell-out, and support's pause and resume from the CLI.
import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AdmissionAnswer, createQueueClient, type QueuePlace } from '../../src/waiting-room/client';
import { solve, solves } from '../../src/waiting-room/proof-of-work';
import { keyRing } from '../../src/waiting-room/signed-tokens';
import { signQueueToken } from '../../src/waiting-room/tokens';
import { type OnsaleStatus, onsaleWorkflowId, statusQuery } from '../../workflows/onsale/contract';
import { bearer, connectedFrom } from '../helpers/app';
import { startTestStack, type TestStack } from '../helpers/stack';
import { temporal as temporalCli } from '../support/cli';
import { recordHistory } from '../workflows/saga-harness';

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest();

describe('the waiting room', () => {
  let stack: TestStack;
  let organizer: string;
  beforeAll(async () => {
    stack = await startTestStack('waiting-room');
    organizer = await bearer('org-waiting-room', 'organizer');
  });
  afterAll(async () => {
    await stack.stop();
  });

  /** An event with a waiting room opening in `opensInMs`. */
  async function roomEvent(options: { seats?: number; opensInMs?: number; maxActiveSessions?: number } = {}) {
    const created = await stack.call('POST', '/v1/events', organizer, {
      name: `room ${randomUUID().slice(0, 6)}`,
      venue: 'Test Hall',
      startsAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
      currency: 'EUR',
      maxSeatsPerBuyer: 4,
      salesOpenAt: new Date(Date.now() + (options.opensInMs ?? 0)).toISOString(),
      waitingRoom: { enabled: true, maxActiveSessions: options.maxActiveSessions ?? 50, powDifficulty: 4 },
      sections: [{ id: 'A', name: 'Floor', price: 4200, rows: [{ id: '1', seats: options.seats ?? 10 }] }],
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    return created.body.id as string;
  }

  /** The queue client of the library, on the in-process app. */
  async function client(eventId: string, buyerId: string) {
    const token = (await bearer(buyerId, 'buyer')).slice('Bearer '.length);
    return createQueueClient({
      baseUrl: 'http://app.test',
      eventId,
      token,
      fetch: async (input, init) => stack.app.request(String(input), init),
      sha256,
    });
  }

  const attempt = async (eventId: string, buyer: string, place: QueuePlace, solution?: string) =>
    stack.call('POST', `/v1/events/${eventId}/queue/admission`, buyer, {
      queueToken: place.queueToken,
      solution: solution ?? (await solve(sha256, place.challenge.challenge, place.challenge.difficulty)),
    });

  /** A string that does not solve the place's challenge (a random one does, one time in 2^difficulty). */
  async function nonSolution(place: QueuePlace): Promise<string> {
    for (let i = 0; ; i++) {
      if (!(await solves(sha256, place.challenge.challenge, place.challenge.difficulty, `no-${i}`)))
        return `no-${i}`;
    }
  }

  /** The backoff the server asked for: attempting sooner is refused TOO_EARLY (and flagged). */
  const waitOut = (place: { retryAfterSeconds: number }) =>
    new Promise((resolve) => setTimeout(resolve, place.retryAfterSeconds * 1000 + 50));

  const join = (eventId: string, buyer: string, body: unknown = {}) =>
    stack.call('POST', `/v1/events/${eventId}/queue`, buyer, body);

  async function onsaleStatus(eventId: string): Promise<OnsaleStatus> {
    return stack.temporal.client.workflow.getHandle(onsaleWorkflowId(eventId)).query(statusQuery);
  }

  /** Waits until the onsale workflow reports `phase`. */
  async function phase(eventId: string, wanted: OnsaleStatus['phase']) {
    await expect
      .poll(async () => (await onsaleStatus(eventId)).phase, { timeout: 20_000, interval: 200 })
      .toBe(wanted);
  }

  /** Attempts until admitted, respecting each backoff's order (but not its duration). */
  async function admitted(eventId: string, buyerId: string) {
    return (await client(eventId, buyerId)).admission();
  }

  const hold = (eventId: string, buyer: string, seatIds: string[], admissionToken?: string) =>
    stack.call(
      'POST',
      `/v1/events/${eventId}/reservations`,
      buyer,
      { seatIds },
      { 'idempotency-key': randomUUID(), ...(admissionToken && { 'admission-token': admissionToken }) },
    );

  it('queues buyers before the sale opens as equals, refuses early attempts and flags them', async () => {
    const eventId = await roomEvent({ opensInMs: 4000 });
    await phase(eventId, 'SCHEDULED');
    const buyer = await bearer('early-bird', 'buyer');
    const joined = await join(eventId, buyer);
    expect(joined.status).toBe(201);
    expect(joined.body.retryAfterSeconds).toBeGreaterThanOrEqual(3);
    expect(joined.body.challenge).toMatchObject({ algorithm: 'sha256', difficulty: 4 });

    // Joining again with the token changes nothing.
    const again = await join(eventId, buyer, { queueToken: joined.body.queueToken });
    expect(again.body.queueToken).toBe(joined.body.queueToken);

    const early = await attempt(eventId, buyer, joined.body);
    expect(early.status).toBe(429);
    expect(early.body.code).toBe('TOO_EARLY');
    expect(Number(early.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);

    const flags = await stack.call(
      'GET',
      `/v1/admin/flags?eventId=${eventId}`,
      await bearer('sam', 'support'),
    );
    expect(flags.status).toBe(200);
    expect(flags.body.items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ subject: 'buyer:early-bird', reasons: { early: 1 } }),
      ]),
    );
    // A flagged buyer's next challenge is harder.
    const rejoined = await join(eventId, buyer);
    expect(rejoined.body.challenge.difficulty).toBeGreaterThan(4);

    // Once open, the pre-queued buyer gets in and may hold; without the admission nobody may.
    await phase(eventId, 'OPEN');
    const { admissionToken } = await admitted(eventId, 'early-bird');
    expect((await hold(eventId, buyer, ['A-1-1'])).body.code).toBe('ADMISSION_REQUIRED');
    const held = await hold(eventId, buyer, ['A-1-1'], admissionToken);
    expect(held.status, JSON.stringify(held.body)).toBe(201);
  });

  it('refuses forged, foreign, expired and reused queue tokens and bad solutions', async () => {
    const eventId = await roomEvent();
    await phase(eventId, 'OPEN');
    const alice = await bearer('alice-room', 'buyer');
    const mallory = await bearer('mallory-room', 'buyer');
    const place = (await join(eventId, alice)).body as QueuePlace;

    const forged = await attempt(eventId, alice, {
      ...place,
      queueToken: `${place.queueToken.slice(0, -4)}AAAA`,
    });
    expect([forged.status, forged.body.code]).toEqual([401, 'INVALID_QUEUE_TOKEN']);

    const foreign = await attempt(eventId, mallory, place);
    expect([foreign.status, foreign.body.code]).toEqual([403, 'INVALID_QUEUE_TOKEN']);

    const otherEvent = await roomEvent();
    const elsewhere = await attempt(otherEvent, alice, place);
    expect([elsewhere.status, elsewhere.body.code]).toEqual([403, 'INVALID_QUEUE_TOKEN']);

    const [key] = stack.config.waitingRoom.keys;
    const expired = signQueueToken(keyRing([key as { id: string; secret: string }]), {
      typ: 'queue',
      jti: 'old',
      sub: 'alice-room',
      evt: eventId,
      iat: Date.now() / 1000 - 7200,
      exp: Date.now() / 1000 - 60,
      lot: 'AAAAAAAAAAAAAAAAAAAAAA',
      nbf: 0,
      ch: 'c',
      dif: 0,
      n: 0,
    });
    const late = await attempt(eventId, alice, { ...place, queueToken: expired });
    expect([late.status, late.body.code]).toEqual([401, 'INVALID_QUEUE_TOKEN']);

    await waitOut(place);
    const wrong = await attempt(eventId, alice, place, await nonSolution(place));
    expect([wrong.status, wrong.body.code]).toEqual([422, 'INVALID_SOLUTION']);

    const flags = await stack.call(
      'GET',
      `/v1/admin/flags?eventId=${eventId}`,
      await bearer('sam', 'support'),
    );
    const bySubject = Object.fromEntries(
      (flags.body.items as { subject: string; reasons: object }[]).map((f) => [f.subject, f.reasons]),
    );
    // The foreign attempt flags both the one who sent it and the token's owner.
    expect(bySubject['buyer:mallory-room']).toMatchObject({ foreign: 1 });
    expect(bySubject['buyer:alice-room']).toMatchObject({ forged: 1, shared: 1, 'bad-solution': 1 });

    // Admitted once; the spent token is refused after that.
    const queue = await client(eventId, 'alice-room');
    let answer: AdmissionAnswer = { admitted: false, ...place };
    let spent = place;
    while (!answer.admitted) {
      spent = answer;
      await waitOut(spent);
      answer = await queue.attempt(spent);
    }
    const reused = await attempt(eventId, alice, spent);
    expect([reused.status, reused.body.code, reused.body.reason]).toEqual([
      403,
      'INVALID_QUEUE_TOKEN',
      'used',
    ]);
  });

  it('admits no more buyers than there are sessions, and frees a session when its checkout ends', async () => {
    const eventId = await roomEvent({ maxActiveSessions: 1 });
    await phase(eventId, 'OPEN');
    const first = await admitted(eventId, 'first-in');
    const secondQueue = await client(eventId, 'second-in');
    let place = await secondQueue.join();
    // While the only session is in use, the second buyer keeps waiting however lucky.
    for (let i = 0; i < 5; i++) {
      await waitOut(place);
      const answer = await secondQueue.attempt(place);
      expect(answer.admitted).toBe(false);
      if (!answer.admitted) place = answer;
    }
    const status = await stack.call('GET', `/v1/events/${eventId}/queue/status`, '');
    expect(status.body).toMatchObject({ enabled: true, open: true, activeSessions: 1, maxActiveSessions: 1 });
    // Prometheus sees the same: the room's live sessions, its pace, and the queue's answers by outcome.
    const metrics = await (await stack.app.request('/metrics')).text();
    expect(metrics).toContain(`boxoffice_waiting_room_active_sessions{event_id="${eventId}"} 1`);
    expect(metrics).toMatch(
      new RegExp(`boxoffice_waiting_room_tau_seconds\\{event_id="${eventId}"\\} [0-9.]+`),
    );
    expect(metrics).toMatch(
      /boxoffice_waiting_room_requests_total\{step="attempt",outcome="waiting"\} [1-9]/,
    );

    const firstBuyer = await bearer('first-in', 'buyer');
    const held = await hold(eventId, firstBuyer, ['A-1-1'], first.admissionToken);
    expect(held.status).toBe(201);
    const cancelled = await stack.call('DELETE', `/v1/reservations/${held.body.id}`, firstBuyer);
    expect(cancelled.status).toBe(204);
    // The onsale workflow ends the finished checkout's session; the second buyer gets it.
    await expect
      .poll(
        async () => (await stack.call('GET', `/v1/events/${eventId}/queue/status`, '')).body.activeSessions,
        { timeout: 15_000 },
      )
      .toBe(0);
    const second = await admitted(eventId, 'second-in');
    expect(second.admissionToken).toBeTruthy();
    // The first buyer's session is over: its admission no longer holds, and there is no second one.
    expect((await hold(eventId, firstBuyer, ['A-1-2'], first.admissionToken)).body.code).toBe(
      'ADMISSION_REQUIRED',
    );
    await expect(admitted(eventId, 'first-in')).rejects.toMatchObject({ code: 'ALREADY_ADMITTED' });
  });

  it('closes the room when the event sells out: queued buyers hear SOLD_OUT at once', async () => {
    const eventId = await roomEvent({ seats: 2 });
    await phase(eventId, 'OPEN');
    const buyer = await bearer('buys-all', 'buyer');
    const { admissionToken } = await admitted(eventId, 'buys-all');
    const held = await hold(eventId, buyer, ['A-1-1', 'A-1-2'], admissionToken);
    const confirmed = await stack.call(
      'POST',
      `/v1/reservations/${held.body.id}/confirm`,
      buyer,
      { paymentMethodId: 'pm_card_visa' },
      { 'idempotency-key': randomUUID() },
    );
    expect(confirmed.status).toBe(200);
    await phase(eventId, 'SOLD_OUT');
    await expect
      .poll(async () => (await join(eventId, await bearer('too-late', 'buyer'))).body.code, { timeout: 5000 })
      .toBe('SOLD_OUT');
    const status = await stack.call('GET', `/v1/events/${eventId}/queue/status`, '');
    expect(status.body).toMatchObject({ soldOut: true, open: false });
    recordHistory(onsaleWorkflowId(eventId), 'onsale-sold-out');
  });

  it('is paused and resumed by support from the temporal CLI', async () => {
    const eventId = await roomEvent();
    await phase(eventId, 'OPEN');
    const workflowId = onsaleWorkflowId(eventId);
    const asked = JSON.stringify({ reason: 'payment provider incident', operator: 'sam' });
    await temporalCli([
      'workflow',
      'signal',
      '--workflow-id',
      workflowId,
      '--name',
      'pause',
      '--input',
      asked,
    ]);
    await phase(eventId, 'PAUSED');
    await expect
      .poll(async () => (await stack.call('GET', `/v1/events/${eventId}/queue/status`, '')).body.phase, {
        timeout: 5000,
      })
      .toBe('PAUSED');
    // Paused: nobody is admitted, however long they waited.
    const queue = await client(eventId, 'patient');
    const place = await queue.join();
    await waitOut(place);
    expect((await queue.attempt(place)).admitted).toBe(false);

    await temporalCli([
      'workflow',
      'signal',
      '--workflow-id',
      workflowId,
      '--name',
      'resume',
      '--input',
      asked,
    ]);
    await phase(eventId, 'OPEN');
    const status = await onsaleStatus(eventId);
    expect(status.supportActions.map((a) => [a.action, a.operator, a.reason])).toEqual([
      ['pause', 'sam', 'payment provider incident'],
      ['resume', 'sam', 'payment provider incident'],
    ]);
    expect(
      await temporalCli([
        'workflow',
        'list',
        '--query',
        `WorkflowId = '${workflowId}' AND OnsaleStatus = 'OPEN'`,
      ]),
    ).toContain(workflowId);
    recordHistory(workflowId, 'onsale-paused-resumed');
  });

  it("is the event organizer's to change: PATCH validates, another organizer gets 404, a buyer 403", async () => {
    const created = await stack.call('POST', '/v1/events', organizer, {
      name: 'patched',
      venue: 'Test Hall',
      startsAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
      currency: 'EUR',
      sections: [{ id: 'A', name: 'Floor', price: 4200, rows: [{ id: '1', seats: 4 }] }],
    });
    const eventId = created.body.id as string;
    expect(created.body).toMatchObject({ waitingRoom: null, refundReleasesSeats: true });
    const path = `/v1/events/${eventId}`;
    const buyer = await bearer('room-buyer', 'buyer');

    // No room yet: the queue says so, and holds need no admission.
    expect((await join(eventId, buyer)).body.code).toBe('WAITING_ROOM_OFF');
    expect((await hold(eventId, buyer, ['A-1-1'])).status).toBe(201);

    const rival = await bearer('org-rival', 'organizer');
    const room = { enabled: true, maxActiveSessions: 10, powDifficulty: 2 };
    expect((await stack.call('PATCH', path, rival, { waitingRoom: room })).status).toBe(404);
    expect((await stack.call('PATCH', path, buyer, { waitingRoom: room })).status).toBe(403);
    for (const bad of [
      {},
      { waitingRoom: { ...room, maxActiveSessions: 0 } },
      { waitingRoom: { ...room, powDifficulty: 99 } },
      { waitingRoom: { ...room, surprise: true } },
      { salesOpenAt: new Date(Date.now() + 60 * 86_400_000).toISOString() },
      { totalSeats: 3 },
    ]) {
      const refused = await stack.call('PATCH', path, organizer, bad);
      expect(refused.status, JSON.stringify(bad)).toBe(422);
    }
    expect((await stack.call('GET', path, '')).body.waitingRoom).toBeNull();

    const patched = await stack.call('PATCH', path, organizer, { waitingRoom: room, name: 'renamed' });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ name: 'renamed', waitingRoom: { ...room, sessionSeconds: 600 } });
    await phase(eventId, 'OPEN');
    // Now a hold needs an admission, and another buyer's admission is refused (and flags both).
    expect((await hold(eventId, buyer, ['A-1-2'])).body.code).toBe('ADMISSION_REQUIRED');
    const theirs = await admitted(eventId, 'room-friend');
    expect((await hold(eventId, buyer, ['A-1-2'], theirs.admissionToken)).body.code).toBe(
      'ADMISSION_REQUIRED',
    );

    // Switching the room off closes the onsale and holds go straight through again.
    expect((await stack.call('PATCH', path, organizer, { waitingRoom: null })).status).toBe(200);
    await phase(eventId, 'CLOSED');
    recordHistory(onsaleWorkflowId(eventId), 'onsale-closed');
    expect((await hold(eventId, buyer, ['A-1-3'])).status).toBe(201);
  });

  it("flags a remote buyer's address too, but never an exempt one (loopback in development)", async () => {
    const eventId = await roomEvent({ opensInMs: 60_000 });
    await phase(eventId, 'SCHEDULED');
    const early = async (buyerId: string, from?: string) => {
      const token = await bearer(buyerId, 'buyer');
      const headers = { authorization: token, 'content-type': 'application/json' };
      const send = (path: string, body: unknown) =>
        stack.app.request(
          path,
          { method: 'POST', headers, body: JSON.stringify(body) },
          from ? connectedFrom(from) : undefined,
        );
      const place = (await (await send(`/v1/events/${eventId}/queue`, {})).json()) as QueuePlace;
      const solution = await solve(sha256, place.challenge.challenge, place.challenge.difficulty);
      const refused = await send(`/v1/events/${eventId}/queue/admission`, {
        queueToken: place.queueToken,
        solution,
      });
      expect(refused.status).toBe(429);
    };
    await early('remote-early', '203.0.113.9');
    await early('local-early');
    const flags = await stack.call(
      'GET',
      `/v1/admin/flags?eventId=${eventId}`,
      await bearer('sam', 'support'),
    );
    const subjects = (flags.body.items as { subject: string }[]).map((f) => f.subject).sort();
    expect(subjects).toEqual(['buyer:local-early', 'buyer:remote-early', 'ip:203.0.113.9']);
  });
});
