// Nobody sees what isn't theirs (invariant 8): a buyer gets only the buyer view of a reservation, in
// answers and in problem details alike (never support's operators and notes, the request fingerprint or
// an internal failure), support gets the full record, and /readyz names what is down without its errors.
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buyerView } from '../../api/reservation-views';
import { createPool } from '../../src/platform/db';
import { createRedis } from '../../src/platform/redis';
import {
  extendHoldSignal,
  forceReleaseSignal,
  type ReservationView,
} from '../../workflows/reservation/contract';
import { bearer, createTestApp } from '../helpers/app';
import { startTestStack, type TestStack } from '../helpers/stack';
import { connectTestTemporal } from '../helpers/temporal';
import { testDatabaseUrl } from '../helpers/urls';

const operator = 'sam-operator';
const note = 'vip from the hotline';
/** What a buyer's answer must never contain. */
const supportOnly = [operator, note, 'requestFingerprint', 'supportActions', 'rejection'];

function expectBuyersOnly(answer: unknown): void {
  for (const secret of supportOnly) expect(JSON.stringify(answer)).not.toContain(secret);
}

describe('what a buyer sees of a reservation', () => {
  let stack: TestStack;
  let eventId: string;
  beforeAll(async () => {
    stack = await startTestStack('leaks');
    eventId = await stack.createEvent({ seats: 4 });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  async function holdAs(buyer: string, seatId: string): Promise<string> {
    const held = await stack.call(
      'POST',
      `/v1/events/${eventId}/reservations`,
      buyer,
      { seatIds: [seatId] },
      { 'idempotency-key': randomUUID() },
    );
    expect(held.status, JSON.stringify(held.body)).toBe(201);
    return held.body.id;
  }

  const confirmAs = (buyer: string, id: string, paymentMethodId: string) =>
    stack.call(
      'POST',
      `/v1/reservations/${id}/confirm`,
      buyer,
      { paymentMethodId },
      { 'idempotency-key': randomUUID() },
    );

  /** Support acts on the reservation from the Temporal UI; resolves once the workflow shows it. */
  async function supportActs(reservationId: string, act: 'extendHold' | 'forceRelease') {
    const handle = stack.temporal.client.workflow.getHandle(reservationId);
    const signal = act === 'extendHold' ? extendHoldSignal : forceReleaseSignal;
    await handle.signal(signal, { reason: note, operator });
    const support = await bearer('support-leaks', 'support');
    await vi.waitFor(async () => {
      const read = await stack.call('GET', `/v1/reservations/${reservationId}`, support);
      expect(read.body.supportActions).toEqual(
        expect.arrayContaining([expect.objectContaining({ action: act, operator })]),
      );
    });
  }

  it('keeps support actions and the fingerprint out of a declined confirm and of reads', async () => {
    const buyer = await bearer('bea-leaks', 'buyer');
    const id = await holdAs(buyer, 'A-1-1');
    await supportActs(id, 'extendHold');

    const declined = await confirmAs(buyer, id, 'pm_card_chargeDeclined');
    expect(declined.status).toBe(402);
    expect(declined.body).toMatchObject({ code: 'PAYMENT_DECLINED', reservation: { id, status: 'HELD' } });
    expectBuyersOnly(declined.body);

    const read = await stack.call('GET', `/v1/reservations/${id}`, buyer);
    expect(read.body).toMatchObject({ id, status: 'HELD' });
    expectBuyersOnly(read.body);

    const bySupport = await stack.call(
      'GET',
      `/v1/reservations/${id}`,
      await bearer('ann-support', 'support'),
    );
    expect(bySupport.body.supportActions).toEqual([
      expect.objectContaining({ action: 'extendHold', operator, reason: note }),
    ]);
    expect(bySupport.body).not.toHaveProperty('requestFingerprint');
  });

  it("tells the buyer support released the seats, without the operator's name or note", async () => {
    const buyer = await bearer('ben-leaks', 'buyer');
    const id = await holdAs(buyer, 'A-1-2');
    await supportActs(id, 'forceRelease');

    // The action is noted as the release starts; the reservation reads RELEASED once the seats are back.
    const read = await vi.waitFor(async () => {
      const answer = await stack.call('GET', `/v1/reservations/${id}`, buyer);
      expect(answer.body).toMatchObject({
        status: 'RELEASED',
        reason: 'customer support released the seats',
      });
      return answer;
    });
    expectBuyersOnly(read.body);

    const confirm = await confirmAs(buyer, id, 'pm_card_visa');
    expect(confirm.status).toBe(409);
    expectBuyersOnly(confirm.body);

    const bySupport = await stack.call(
      'GET',
      `/v1/reservations/${id}`,
      await bearer('ann-support', 'support'),
    );
    expect(bySupport.body.reason).toBe(`force-released by ${operator}: ${note}`);
  });
});

describe('the buyer view', () => {
  /** What the buyer is shown of a reservation as it is. */
  const theirs: ReservationView = {
    id: 'rsv_1',
    eventId: 'evt_1',
    buyerId: 'bea',
    status: 'FAILED',
    seats: [{ id: 'A-1-1', price: 4200 }],
    amount: 4200,
    currency: 'EUR',
    expiresAt: null,
    payment: { attempts: 1, paymentIntentId: 'pi_1' },
  };

  it('says what became of the seats and the money, not the internal cause', () => {
    const record: ReservationView = {
      ...theirs,
      reason:
        'the checkout failed: recordReservation failed for good (connect ECONNREFUSED 10.0.0.7:5432 (pg)); ' +
        'the charge pi_1 was refunded; the seats were released',
      requestFingerprint: 'f1ng3rpr1nt',
      rejection: { code: 'SEATS_UNAVAILABLE', details: {} },
      supportActions: [
        { action: 'extendHold', operator, reason: note, at: '2030-01-01T00:00:00Z', outcome: 'ok' },
      ],
    };
    expect(buyerView(record)).toEqual({
      ...theirs,
      reason: 'the checkout failed; the charge pi_1 was refunded; the seats were released',
    });
  });
});

describe('/readyz', () => {
  it('names the dependency that is down and logs, not answers, why', async () => {
    let logged = '';
    const log = pino(
      { level: 'warn' },
      new Writable({
        write(chunk, _encoding, done) {
          logged += chunk.toString();
          done();
        },
      }),
    );
    const pool = createPool(testDatabaseUrl, 2);
    // Nothing listens on port 1: the driver's error names the address and the refusal.
    const redis = createRedis('redis://127.0.0.1:1');
    const temporal = await connectTestTemporal();
    try {
      const app = createTestApp({ pool, redis, temporal: temporal.client, log });
      const response = await app.request('/readyz');
      const body = await response.text();
      expect(response.status).toBe(503);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(JSON.parse(body)).toMatchObject({
        code: 'SERVICE_UNAVAILABLE',
        detail: 'not ready: redis is down',
        checks: { postgres: { ok: true }, redis: { ok: false }, temporal: { ok: true } },
      });
      expect(JSON.parse(body).checks.redis).toEqual({ ok: false });
      expect(body).not.toMatch(/127\.0\.0\.1|ECONNREFUSED|Connection|closed|stream/i);
      expect(logged).toContain('"dependency":"redis"');
    } finally {
      redis.disconnect();
      await pool.end();
      await temporal.close();
    }
  });
});
