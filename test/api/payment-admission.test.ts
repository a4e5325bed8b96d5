// The checkout's saturation signal: confirms beyond what the payment queue can charge within the wait
// budget are refused at once with when to come back, instead of queueing into 202s.
import { describe, expect, it } from 'vitest';
import { createPaymentAdmission } from '../../api/workflows/payment-admission';
import { DomainError } from '../../src/errors';
import { testConfig } from '../helpers/app';

describe('payment admission', () => {
  // 5 charges a second and a 2 s budget: 8 confirms may queue (80% of the budget at the limit).
  const config = testConfig({ PAYMENT_RATE_LIMIT_PER_SECOND: '5', API_WAIT_MS: '2000' });

  it('admits what the payment limit serves within the budget, then refuses with Retry-After', async () => {
    const admission = createPaymentAdmission(config);
    expect(admission.capacity()).toBe(8);
    const releases: (() => void)[] = [];
    const admitted = Array.from({ length: 8 }, () =>
      admission.admit(() => new Promise<void>((resolve) => releases.push(resolve))),
    );
    expect(admission.inFlight()).toBe(8);

    const refused = await admission.admit(async () => 'charged').catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(DomainError);
    expect(refused).toMatchObject({ code: 'SERVICE_UNAVAILABLE', details: { retryAfterSeconds: 2 } });

    for (const release of releases) release();
    await Promise.all(admitted);
    expect(admission.inFlight()).toBe(0);
    expect(await admission.admit(async () => 'charged')).toBe('charged');
  });

  it('shrinks the limit when confirms answer later than the budget allows, and grows it back when they are prompt', async () => {
    let nowMs = 0;
    const admission = createPaymentAdmission(config, () => nowMs);
    /** Sends a confirm; the function it returns answers it (then its slot is freed and the limit moved). */
    const send = () => {
      let release = () => {};
      const running = admission.admit(() => new Promise<void>((resolve) => (release = resolve)));
      return async () => {
        release();
        await running;
        await new Promise((resolve) => setImmediate(resolve));
      };
    };
    // 1.6 s is the budget's share (80% of 2 s): slower answers mean the checkout is saturated. Two slow
    // answers at once are one saturation: the limit shrinks once.
    const [first, second] = [send(), send()];
    nowMs += 1900;
    await first();
    await second();
    expect(admission.capacity()).toBe(6);
    const third = send();
    nowMs += 1700;
    await third();
    expect(admission.capacity()).toBe(4);
    for (let i = 0; i < 40; i++) {
      const prompt = send();
      nowMs += 100;
      await prompt();
    }
    expect(admission.capacity()).toBe(8);
  });

  it('frees the slot of a confirm that failed', async () => {
    const admission = createPaymentAdmission(config);
    await expect(admission.admit(() => Promise.reject(new Error('declined')))).rejects.toThrow('declined');
    expect(admission.inFlight()).toBe(0);
  });
});
