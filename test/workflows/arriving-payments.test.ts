// Money that reaches a reservation outside its own payment attempt, on a real Temporal server with
// in-memory activities: payments signalled by the webhook while the reservation ends (each one settled,
// none dropped), and support's force-confirm with a payment made outside the checkout.
import { describe, expect, it, vi } from 'vitest';
import { latePaymentWorkflowId, latePaymentWorkflowType } from '../../workflows/late-payment/contract';
import {
  forceConfirmSignal,
  forceReleaseSignal,
  paymentOutcomeSignal,
} from '../../workflows/reservation/contract';
import { recordHistory, sagaHarness } from './saga-harness';

const saga = sagaHarness('arriving-payments');

describe('payments arriving outside an attempt', () => {
  it('settles every payment that arrives while an ended reservation settles a late one', async () => {
    const view = await saga.hold(['Q-1-1']);
    const first = `pi_ok_late_a_${view.id.slice(-6)}`;
    const second = `pi_ok_late_b_${view.id.slice(-6)}`;
    const releasing = saga.fakes.gate('releaseSeats', view.id);
    const settlingFirst = saga.fakes.gate('loadReservation', view.id);
    await saga.handle(view.id).signal(forceReleaseSignal, { reason: 'abandoned checkout', operator: 'sam' });
    await releasing.reached;
    await saga.handle(view.id).signal(paymentOutcomeSignal, { paymentIntentId: first, status: 'succeeded' });
    releasing.proceed();
    // The second webhook is acknowledged once its signal is accepted: the workflow must not end without it.
    await settlingFirst.reached;
    await saga.handle(view.id).signal(paymentOutcomeSignal, { paymentIntentId: second, status: 'succeeded' });
    settlingFirst.proceed();

    const result = await saga.handle(view.id).result();
    expect(result.status).toBe('RELEASED');
    const verified = saga
      .callsFor<{ paymentIntentId: string }>('verifyPayment', view.id)
      .map((input) => input.paymentIntentId);
    expect(verified).toEqual(expect.arrayContaining([first, second]));
    const settled = [
      ...saga.callsFor<{ paymentIntentId: string }>('completeSale', view.id),
      ...saga.callsFor<{ paymentIntentId: string }>('refundPayment', view.id),
    ].map((input) => input.paymentIntentId);
    expect(settled).toEqual(expect.arrayContaining([first, second]));
  });

  it('force-confirms with a payment made outside the checkout only when support adopts it, noted in the record', async () => {
    const view = await saga.hold(['R-1-1']);
    const request = { reason: 'paid by payment link', operator: 'sam', paymentIntentId: 'pi_foreign_1' };
    await saga.handle(view.id).signal(forceConfirmSignal, request);
    await saga.handle(view.id).signal(forceConfirmSignal, { ...request, adoptForeignPayment: true });
    const result = await saga.handle(view.id).result();
    expect(result.status).toBe('CONFIRMED');
    expect(result.supportActions?.map((action) => action.outcome)).toEqual([
      expect.stringMatching(/^rejected: /),
      'confirmed with pi_foreign_1, adopted by support as a payment made outside the checkout',
    ]);
  });

  it('settles a charge whose reservation was terminated only once that workflow has ended', async () => {
    const view = await saga.hold(['R-2-1']);
    const paymentIntentId = `pi_ok_terminated_${view.id.slice(-6)}`;
    // What the webhook starts beside its signal: the safety net, here without its delay.
    const safetyNet = await saga.client().workflow.start(latePaymentWorkflowType, {
      workflowId: latePaymentWorkflowId(paymentIntentId),
      taskQueue: saga.taskQueue,
      args: [{ reservationId: view.id, paymentIntentId, paymentTaskQueue: saga.paymentTaskQueue }],
    });
    await vi.waitFor(() => expect(saga.callsFor('reservationWorkflowState', view.id)).not.toEqual([]), {
      timeout: 10_000,
    });
    // While the reservation runs, the safety net leaves the charge to it.
    expect(saga.callsFor('loadReservation', view.id)).toEqual([]);

    await saga.handle(view.id).terminate('operator terminated mid-payment');
    expect(await safetyNet.result()).toBe('sold');
    expect(saga.callsFor('completeSale', view.id)).toEqual([
      expect.objectContaining({ paymentIntentId, actor: 'late-payment' }),
    ]);
    expect(saga.callsFor('refundPayment', view.id)).toEqual([]);
    recordHistory(latePaymentWorkflowId(paymentIntentId), 'late-payment-after-terminate');
  });
});
