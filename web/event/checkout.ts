// Owns the event page's checkout: hold the selected seats (with the waiting room's Admission-Token when
// the event has one), count the hold down, pay with the chosen payment method, and go to the order; a
// decline keeps the hold for another method, an expiry or a release gives the seats back.
import { ApiError, api, idempotencyKey } from '../lib/api';
import { formatClock, formatMoney } from '../lib/format';
import { announce, byId, element } from '../lib/page';
import type { EventPageData } from './data';
import type { SeatMap, SelectedSeat } from './seat-map';

interface Reservation {
  id: string;
  status: string;
  seats: { id: string; price: number }[];
  amount: number;
  currency: string;
  expiresAt: string | null;
  orderId?: string;
  payment?: { attempts: number; lastError?: string; nextAction?: { type: string } };
}

/** Reservation states the checkout is over in. */
const ended = new Set(['EXPIRED', 'CANCELLED', 'RELEASED', 'REJECTED', 'FAILED']);
/** How often a hold or payment still in progress after the API's wait budget is read again. */
const pollMs = 1000;

export interface CheckoutOptions {
  data: EventPageData;
  seatMap: SeatMap;
  /** The Admission-Token to send with a hold, when the event sells through its waiting room. */
  admissionToken(): Promise<string | undefined>;
  /** The server refused the admission (expired, spent): queue again. */
  onAdmissionRefused(): void;
}

export function createCheckout(options: CheckoutOptions) {
  const { data, seatMap } = options;
  const { currency } = data.event;
  const holdButton = byId<HTMLButtonElement>('hold-button');
  const selectionPanel = byId('selection');
  const holdPanel = byId('hold');
  const payButton = byId<HTMLButtonElement>('pay-button');
  const cancelButton = byId<HTMLButtonElement>('cancel-button');
  const status = byId('checkout-status');
  const error = byId('checkout-error');
  const storageKey = `boxoffice.reservation.${data.event.id}`;

  let ready = false;
  let selection: SelectedSeat[] = [];
  let current: Reservation | undefined;
  let countdown: ReturnType<typeof setInterval> | undefined;

  function say(message: string): void {
    status.textContent = message;
  }
  function fail(message: string): void {
    error.textContent = message;
  }

  function refreshHoldButton(): void {
    const count = selection.length;
    holdButton.disabled = !ready || count === 0 || current !== undefined;
    holdButton.textContent = count > 1 ? `Hold ${count} seats` : 'Hold seat';
  }

  /** Shows the selection in the side panel: seats, total, and whether they can be held yet. */
  function showSelection(seats: SelectedSeat[]): void {
    selection = seats;
    const list = byId('selected-list');
    list.replaceChildren(
      ...seats.map((seat) => element('li', `${seat.label}: ${formatMoney(seat.price, currency)}`)),
    );
    const total = seats.reduce((sum, seat) => sum + seat.price, 0);
    byId('selection-summary').textContent =
      seats.length === 0
        ? `No seats selected (at most ${data.event.maxSeatsPerBuyer}).`
        : `${seats.length} selected, ${formatMoney(total, currency)} in total.`;
    refreshHoldButton();
  }

  function stopCountdown(): void {
    if (countdown !== undefined) clearInterval(countdown);
    countdown = undefined;
  }

  /** The hold is over without a sale: its seats go back, and the buyer may choose again. */
  function backToChoosing(message: string): void {
    stopCountdown();
    if (current) seatMap.unclaim(current.seats.map((seat) => seat.id));
    current = undefined;
    sessionStorage.removeItem(storageKey);
    holdPanel.hidden = true;
    selectionPanel.hidden = false;
    say(message);
    announce(message);
    refreshHoldButton();
    // The hold panel that had focus is gone: the checkout's heading takes it, where the news is read.
    byId('checkout-heading').focus();
  }

  function startCountdown(expiresAt: string): void {
    stopCountdown();
    const clock = byId('hold-countdown');
    const warnings = new Set([60, 10]);
    const tick = () => {
      const left = (Date.parse(expiresAt) - Date.now()) / 1000;
      clock.textContent = formatClock(left);
      clock.dataset.urgent = String(left <= 60);
      for (const mark of warnings) {
        if (left <= mark) {
          warnings.delete(mark);
          if (left > 0) announce(`${mark === 60 ? 'One minute' : 'Ten seconds'} left to pay.`);
        }
      }
      if (left <= 0) backToChoosing('Your hold has expired and the seats are back on sale.');
    };
    tick();
    countdown = setInterval(tick, 1000);
  }

  function showHold(reservation: Reservation): void {
    current = reservation;
    sessionStorage.setItem(storageKey, reservation.id);
    seatMap.claim(reservation.seats.map((seat) => seat.id));
    seatMap.clearSelection();
    selectionPanel.hidden = true;
    holdPanel.hidden = false;
    byId('hold-summary').textContent =
      `${reservation.seats.map((seat) => seat.id).join(', ')}: ${formatMoney(reservation.amount, currency)}.`;
    if (reservation.expiresAt) startCountdown(reservation.expiresAt);
    payButton.disabled = !data.testPayments;
    byId('hold-heading').focus();
    say(`${reservation.seats.length} seats held for you. Pay before the time runs out.`);
  }

  /** Reads the reservation until it is no longer PENDING/PAYING (past the API's wait budget). */
  async function settled(id: string): Promise<Reservation> {
    for (;;) {
      const { body } = await api<Reservation>('GET', `/v1/reservations/${encodeURIComponent(id)}`);
      if (body.status !== 'PENDING' && body.status !== 'PAYING') return body;
      if (body.payment?.nextAction) {
        say('Your bank asks you to confirm this payment; waiting for its answer…');
      }
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  }

  async function hold(): Promise<void> {
    const seatIds = selection.map((seat) => seat.id);
    if (seatIds.length === 0) return;
    fail('');
    say('Holding your seats…');
    holdButton.disabled = true;
    // Claimed first: the stream may report them held before this request's answer arrives.
    seatMap.claim(seatIds);
    try {
      const admissionToken = await options.admissionToken();
      const { status: code, body } = await api<Reservation>(
        'POST',
        `/v1/events/${encodeURIComponent(data.event.id)}/reservations`,
        {
          body: { seatIds },
          headers: {
            'idempotency-key': idempotencyKey(),
            ...(admissionToken && { 'admission-token': admissionToken }),
          },
        },
      );
      const reservation = code === 202 ? await settled(body.id) : body;
      if (reservation.status !== 'HELD') throw new Error(`the hold ended ${reservation.status}`);
      showHold(reservation);
    } catch (failure) {
      seatMap.unclaim(seatIds);
      refreshHoldButton();
      say('');
      if (!(failure instanceof ApiError))
        return fail(`Could not hold the seats: ${(failure as Error).message}`);
      if (failure.code === 'SEATS_UNAVAILABLE') {
        const taken: string[] = failure.problem.unavailableSeatIds ?? [];
        seatMap.markTaken(taken);
        return fail(`Someone else just took ${taken.join(', ') || 'those seats'}. Choose other seats.`);
      }
      if (failure.code === 'ADMISSION_REQUIRED') {
        options.onAdmissionRefused();
        return fail('Your waiting-room session has ended: you are back in the queue.');
      }
      fail(failure.message);
    }
  }

  async function pay(paymentMethodId: string): Promise<void> {
    if (!current) return;
    fail('');
    say('Paying…');
    payButton.disabled = true;
    cancelButton.disabled = true;
    const id = current.id;
    try {
      const { status: code, body } = await api<Reservation>(
        'POST',
        `/v1/reservations/${encodeURIComponent(id)}/confirm`,
        { body: { paymentMethodId }, headers: { 'idempotency-key': idempotencyKey() } },
      );
      const reservation = code === 202 ? await settled(id) : body;
      if (reservation.status === 'CONFIRMED' && reservation.orderId) {
        stopCountdown();
        sessionStorage.removeItem(storageKey);
        say('Paid. Opening your order…');
        location.assign(`/orders/${encodeURIComponent(reservation.orderId)}`);
        return;
      }
      if (ended.has(reservation.status)) return backToChoosing(`The checkout ended: ${reservation.status}.`);
      fail(`Payment not taken: ${reservation.payment?.lastError ?? reservation.status}.`);
    } catch (failure) {
      if (failure instanceof ApiError && failure.code === 'RESERVATION_EXPIRED') {
        return backToChoosing('Your hold expired before the payment: the seats are back on sale.');
      }
      if (failure instanceof ApiError && failure.code === 'PAYMENT_DECLINED') {
        fail(`The card was declined (${failure.message}). Your seats are still held: try another method.`);
      } else if (failure instanceof ApiError && failure.code === 'SERVICE_UNAVAILABLE') {
        fail('Payments are busy right now; nothing was charged. Try again in a few seconds.');
      } else {
        fail(`Payment failed: ${(failure as Error).message}`);
      }
      say('');
    } finally {
      if (current) {
        payButton.disabled = false;
        cancelButton.disabled = false;
      }
    }
  }

  async function release(): Promise<void> {
    if (!current) return;
    fail('');
    cancelButton.disabled = true;
    try {
      await api('DELETE', `/v1/reservations/${encodeURIComponent(current.id)}`);
      backToChoosing('Your seats were released.');
    } catch (failure) {
      fail(`Could not release the seats: ${(failure as Error).message}`);
    } finally {
      cancelButton.disabled = false;
    }
  }

  holdButton.addEventListener('click', () => void hold());
  byId<HTMLFormElement>('pay-form').addEventListener('submit', (submit) => {
    submit.preventDefault();
    const chosen = new FormData(submit.target as HTMLFormElement).get('paymentMethod');
    void pay(String(chosen ?? 'pm_card_visa'));
  });
  cancelButton.addEventListener('click', () => void release());

  return {
    showSelection,
    /** The buyer may hold (signed in, and admitted when the event has a waiting room). */
    allowHolds(): void {
      ready = true;
      refreshHoldButton();
    },
    forbidHolds(): void {
      ready = false;
      refreshHoldButton();
    },
    /** Picks up a hold made earlier in this tab (the page was reloaded), if it still holds. */
    async resume(): Promise<void> {
      const id = sessionStorage.getItem(storageKey);
      if (!id) return;
      try {
        const { body } = await api<Reservation>('GET', `/v1/reservations/${encodeURIComponent(id)}`);
        if (body.status === 'HELD') showHold(body);
        else sessionStorage.removeItem(storageKey);
      } catch {
        sessionStorage.removeItem(storageKey);
      }
    },
  };
}
