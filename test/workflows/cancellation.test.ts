// The saga's own ends that Temporal, not the buyer, brings about: a Cancel from the Temporal UI or CLI is
// a compensation (the seats go back, a payment in flight is settled, the workflow completes CANCELLED);
// a failure after the hold releases the seats before the workflow fails, even when a compensation
// fails; and the seats' lease follows the workflow's deadline. In-memory activities, real Temporal.
import { WorkflowFailedError } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { extendHoldSignal } from '../../workflows/reservation/contract';
import { ReservationStatus } from '../../workflows/search-attributes';
import { recordHistory, rejectionOf, sagaHarness } from './saga-harness';

const saga = sagaHarness('cancel');

describe('a Temporal cancel request', () => {
  it('releases the seats of a HELD reservation and completes it CANCELLED', async () => {
    const view = await saga.hold(['CA-1-1', 'CA-1-2']);
    await saga.handle(view.id).cancel();
    const result = await saga.handle(view.id).result();
    expect(result.status).toBe('CANCELLED');
    expect(result.reason).toMatch(/cancel/i);
    expect(saga.callsFor('releaseSeats', view.id)).toEqual([
      expect.objectContaining({ actor: 'system', reason: expect.stringMatching(/cancel/i) }),
    ]);
    const description = await saga.handle(view.id).describe();
    expect(description.status.name).toBe('COMPLETED');
    expect(description.typedSearchAttributes.get(ReservationStatus)).toBe('CANCELLED');
    expect((await saga.checkout().read(view.id)).status).toBe('CANCELLED');
    recordHistory(view.id, 'temporal-cancelled');
  });

  it('during a payment that went through sells the seats: no money without a ticket', async () => {
    saga.fakes.script.reconcileStatus = 'succeeded';
    const view = await saga.hold(['CB-1-1']);
    const paying = saga.confirm(view.id, 'pm_hang');
    await expect.poll(async () => (await saga.checkout().read(view.id)).status).toBe('PAYING');
    await saga.handle(view.id).cancel();
    const result = await saga.handle(view.id).result();
    saga.fakes.script.reconcileStatus = 'not_found';
    expect(result.status).toBe('CONFIRMED');
    expect(result.orderId).toMatch(/^ord_/);
    expect(result.reason).toMatch(/cancel/i);
    expect((await paying).status).toBe('CONFIRMED');
    expect(saga.callsFor('completeSale', view.id)).toHaveLength(1);
    expect(saga.callsFor('releaseSeats', view.id)).toEqual([]);
    recordHistory(view.id, 'temporal-cancelled-while-paid');
  });

  it('during a payment that was not charged waits for the attempt, then releases the seats', async () => {
    const view = await saga.hold(['CC-1-1']);
    const paying = rejectionOf(saga.confirm(view.id, 'pm_hang'));
    await expect.poll(async () => (await saga.checkout().read(view.id)).status).toBe('PAYING');
    await saga.handle(view.id).cancel();
    const result = await saga.handle(view.id).result();
    expect(result.status).toBe('CANCELLED');
    expect(saga.callsFor('checkPaymentAttempt', view.id)).toHaveLength(1);
    expect(saga.callsFor('completeSale', view.id)).toEqual([]);
    expect(saga.callsFor('releaseSeats', view.id)).toHaveLength(1);
    expect(['PAYMENT_FAILED', 'RESERVATION_NOT_ACTIVE']).toContain((await paying).code);
  });
});

describe('a failure after the hold', () => {
  async function failure(id: string): Promise<WorkflowFailedError> {
    const error = await saga
      .handle(id)
      .result()
      .then(
        () => undefined,
        (caught: unknown) => caught,
      );
    expect(error).toBeInstanceOf(WorkflowFailedError);
    return error as WorkflowFailedError;
  }

  it('releases the seats before the workflow fails', async () => {
    // A step after the hold that breaks for good: support's extension of the hold.
    saga.fakes.script.broken.add('extendHold');
    const view = await saga.hold(['FA-1-1']);
    await saga.handle(view.id).signal(extendHoldSignal, { reason: 'venue asked', operator: 'sam' });
    await failure(view.id);
    saga.fakes.script.broken.delete('extendHold');
    expect(saga.callsFor('releaseSeats', view.id)).toEqual([
      expect.objectContaining({ actor: 'system', reason: expect.stringMatching(/failed/) }),
    ]);
    const state = await saga.checkout().read(view.id);
    expect(state.status).toBe('FAILED');
    // The buyer reads the reason: what became of the seats, not which step broke.
    expect(state.reason).toBe('the checkout failed before it finished; the seats were released');
    recordHistory(view.id, 'failed-after-hold-released');
  });

  it('refunds a charge the failed sale could not turn into a ticket, then releases the seats', async () => {
    saga.fakes.script.broken.add('completeSale');
    const view = await saga.hold(['FB-1-1']);
    const confirming = rejectionOf(saga.confirm(view.id, 'pm_card_visa')).catch((error: unknown) => error);
    await failure(view.id);
    saga.fakes.script.broken.delete('completeSale');
    await confirming;
    const [charge] = saga.fakes
      .callsTo('chargePayment')
      .filter((call) => (call.input as { reservationId: string }).reservationId === view.id);
    expect(charge).toBeDefined();
    const refunds = saga.callsFor<{ paymentIntentId: string }>('refundPayment', view.id);
    expect(refunds).toHaveLength(1);
    const order = saga.fakes.calls.map((call) => call.name);
    expect(order.lastIndexOf('releaseSeats')).toBeGreaterThan(order.lastIndexOf('refundPayment'));
    expect(saga.callsFor('releaseSeats', view.id)).toHaveLength(1);
    expect((await saga.checkout().read(view.id)).reason).toMatch(/the charge was refunded/);
  });

  it('still releases the seats when the refund of a compensation fails for good', async () => {
    saga.fakes.script.commitFails = true;
    saga.fakes.script.broken.add('refundPayment');
    const view = await saga.hold(['FC-1-1']);
    const confirming = rejectionOf(saga.confirm(view.id, 'pm_card_visa')).catch((error: unknown) => error);
    await failure(view.id);
    saga.fakes.script.commitFails = false;
    saga.fakes.script.broken.delete('refundPayment');
    await confirming;
    expect(saga.callsFor('refundPayment', view.id)).toHaveLength(1);
    expect(saga.callsFor('releaseSeats', view.id).length).toBeGreaterThanOrEqual(1);
    const state = await saga.checkout().read(view.id);
    expect(state.status).toBe('FAILED');
    expect(state.reason).toMatch(/the automatic refund of pi_\S+ failed: support refunds it by hand/);
  });
});

describe("the seats' lease", () => {
  it('moves with the deadline: to the payment window when PAYING, to the retry grace after a decline', async () => {
    const view = await saga.hold(['LA-1-1']);
    const holdEnd = Date.parse(view.expiresAt ?? '');
    const started = Date.now();
    await rejectionOf(saga.confirm(view.id, 'pm_card_chargeDeclined'));
    const moves = saga
      .callsFor<{ heldUntil: string }>('syncLease', view.id)
      .map((call) => Date.parse(call.heldUntil));
    expect(moves).toHaveLength(2);
    // PAYING: the payment window (60 s in this suite) from the confirm, past the hold's end.
    expect(moves[0]).toBeGreaterThanOrEqual(started + 60_000 - 1000);
    expect(moves[0]).toBeGreaterThan(holdEnd);
    // HELD again: the buyer keeps at least two minutes for another card.
    expect(moves[1]).toBeGreaterThanOrEqual(started + 120_000 - 1000);
    const now = await saga.checkout().read(view.id);
    expect(Date.parse(now.expiresAt ?? '')).toBe(moves[1]);
    await saga.checkout().cancel(view.id);
  });
});
