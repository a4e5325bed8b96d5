// The waiting room's pure parts: signed tokens and key rotation, the proof of work, the lottery's
// probabilistic FIFO, and the controller's law.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { initialControl, nextControl, tauBounds } from '../../src/waiting-room/controller';
import { admissionChance, isAdmitted, lotteryBytes, luck } from '../../src/waiting-room/lottery';
import { leadingZeroBits, solve, solves } from '../../src/waiting-room/proof-of-work';
import { keyRing, sign, verify } from '../../src/waiting-room/signed-tokens';

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest();
const oldKey = { id: 'k1', secret: 'the-first-secret-of-the-room' };
const newKey = { id: 'k2', secret: 'the-second-secret-of-the-room' };

describe('signed tokens', () => {
  it('verify what the ring signed, and nothing altered', () => {
    const ring = keyRing([oldKey]);
    const token = sign(ring, { sub: 'alice', n: 1 });
    expect(verify(ring, token)?.payload).toEqual({ sub: 'alice', n: 1 });
    const [kid, body, signature] = token.split('.') as [string, string, string];
    const altered = Buffer.from(JSON.stringify({ sub: 'mallory', n: 1 })).toString('base64url');
    expect(verify(ring, `${kid}.${altered}.${signature}`)).toBeUndefined();
    expect(verify(ring, `${kid}.${body}.${signature.slice(0, -2)}xx`)).toBeUndefined();
    expect(verify(ring, `nokey.${body}.${signature}`)).toBeUndefined();
    expect(verify(ring, 'not a token')).toBeUndefined();
    expect(verify(keyRing([{ id: 'k1', secret: 'another-secret-same-id' }]), token)).toBeUndefined();
  });

  it('keep tokens of the previous key valid after a rotation, and sign with the new one', () => {
    const before = sign(keyRing([oldKey]), { n: 1 });
    const rotated = keyRing([newKey, oldKey]);
    expect(verify(rotated, before)?.key.id).toBe('k1');
    expect(sign(rotated, { n: 2 }).startsWith('k2.')).toBe(true);
    // Once the old key is dropped, its tokens are refused.
    expect(verify(keyRing([newKey]), before)).toBeUndefined();
  });
});

describe('the proof of work', () => {
  it('counts leading zero bits', () => {
    expect(leadingZeroBits(new Uint8Array([0, 0, 0x80]))).toBe(16);
    expect(leadingZeroBits(new Uint8Array([0x0f]))).toBe(4);
    expect(leadingZeroBits(new Uint8Array([0xff]))).toBe(0);
  });

  it('solves a challenge that checking accepts, and refuses a wrong or oversized solution', async () => {
    const solution = await solve(sha256, 'challenge-x', 12);
    expect(await solves(sha256, 'challenge-x', 12, solution)).toBe(true);
    expect(
      leadingZeroBits(sha256(new TextEncoder().encode(`challenge-x${solution}`))),
    ).toBeGreaterThanOrEqual(12);
    expect(await solves(sha256, 'challenge-y', 20, solution)).toBe(false);
    expect(await solves(sha256, 'challenge-x', 0, 'x'.repeat(65))).toBe(false);
    expect(await solves(sha256, 'challenge-x', 0, '')).toBe(false);
  });
});

describe('the lottery', () => {
  const secret = oldKey.secret;

  it("gives a buyer the same bytes for every join to an event, and different buyers' luck spread evenly", () => {
    expect(lotteryBytes(secret, 'evt_1', 'alice')).toBe(lotteryBytes(secret, 'evt_1', 'alice'));
    expect(lotteryBytes(secret, 'evt_1', 'alice')).not.toBe(lotteryBytes(secret, 'evt_2', 'alice'));
    const lucks = Array.from({ length: 10_000 }, (_, i) =>
      luck(secret, lotteryBytes(secret, 'evt_1', `b${i}`)),
    );
    const deciles = Array.from(
      { length: 10 },
      (_, d) => lucks.filter((v) => Math.floor(v * 10) === d).length,
    );
    for (const count of deciles) expect(count).toBeGreaterThan(850);
    for (const v of lucks) expect(v).toBeGreaterThanOrEqual(0);
  });

  it('admits the longer wait first at equal luck, and more buyers as tau shrinks', () => {
    expect(admissionChance(0, 10)).toBe(0);
    expect(admissionChance(10, 10)).toBeCloseTo(1 - Math.exp(-1));
    expect(isAdmitted(0.5, 20, 10)).toBe(true);
    expect(isAdmitted(0.5, 2, 10)).toBe(false);
    expect(admissionChance(5, 1)).toBeGreaterThan(admissionChance(5, 10));
  });
});

describe('the controller', () => {
  const goals = { targetSessions: 100, horizonSeconds: 2 };
  const measured = { activeSessions: 0, availableSeats: 500, waiting: 1000, holdP99Ms: 50, confirmLoad: 0.1 };

  it('sets tau so the next horizon admits about as many as there are free sessions', () => {
    const control = nextControl(initialControl(100), measured, goals);
    // 1000 waiting, 100 free: each should have a 10% chance over the next 2 s.
    expect(admissionChance(goals.horizonSeconds, control.tau)).toBeCloseTo(0.1, 5);
    expect(control.sessionCap).toBe(100);
  });

  it('admits at once when fewer wait than there are free sessions, and keeps its pace when none is free', () => {
    expect(nextControl(initialControl(100), { ...measured, waiting: 10 }, goals).tau).toBe(tauBounds.min);
    const full = nextControl({ ...initialControl(100), tau: 7 }, { ...measured, activeSessions: 100 }, goals);
    expect(full.tau).toBe(7);
  });

  it('shrinks the session cap while holds are slow or payments near their limit, and grows it back slowly', () => {
    let control = initialControl(100);
    control = nextControl(control, { ...measured, holdP99Ms: 900 }, goals);
    expect(control.sessionCap).toBe(70);
    control = nextControl(control, { ...measured, confirmLoad: 0.95 }, goals);
    expect(control.sessionCap).toBe(49);
    control = nextControl(control, measured, goals);
    expect(control.sessionCap).toBe(59);
  });

  it('admits nobody new while every seat is held or sold', () => {
    const control = nextControl(
      initialControl(100),
      { ...measured, availableSeats: 0, activeSessions: 30 },
      goals,
    );
    expect(control.sessionCap).toBe(30);
  });
});
