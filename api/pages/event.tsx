// Owns the event page's markup (`/events/{eventId}`): the seat map as it stands (sections, price tiers,
// every seat a button with data-seat-id and data-status) and the checkout panel's regions, which
// web/event.ts brings to life (the live stream, selection, waiting room, hold, payment).
import type { Context } from 'hono';
import type { EventWithSections } from '../../src/inventory/events';
import type { SeatView } from '../../src/inventory/seat-map';
import { type EventPageData, seatLabel } from '../../web/event/data';
import { formatDateTime, formatMoney } from '../../web/lib/format';
import { renderPage } from './layout';

/** Stripe's documented test payment methods the fixture and stripe-mock honour (DESIGN.md, Payments). */
const testPaymentMethods = [
  { id: 'pm_card_visa', label: 'Visa, succeeds' },
  { id: 'pm_card_chargeDeclined', label: 'Card declined' },
  { id: 'pm_card_chargeDeclinedInsufficientFunds', label: 'Declined: insufficient funds' },
];

function Seat({ seat, sectionName }: { seat: SeatView; sectionName: string }) {
  return (
    <button
      type="button"
      class="seat"
      data-seat-id={seat.id}
      data-status={seat.status}
      aria-pressed="false"
      aria-label={seatLabel(seat, sectionName, seat.status)}
      disabled={seat.status !== 'available'}
    >
      {seat.number}
    </button>
  );
}

function Section({
  section,
  seats,
  currency,
}: {
  section: EventWithSections['sections'][number];
  seats: SeatView[];
  currency: string;
}) {
  const rows = new Map<string, SeatView[]>();
  for (const seat of seats) rows.set(seat.row, [...(rows.get(seat.row) ?? []), seat]);
  const available = seats.filter((seat) => seat.status === 'available').length;
  return (
    <section class="section" data-section-id={section.id} aria-labelledby={`section-${section.id}`}>
      <h3 id={`section-${section.id}`}>
        {section.name} <span class="price">{formatMoney(section.price, currency)}</span>
      </h3>
      <p class="counts" data-section-counts={section.id}>
        {`${available} of ${seats.length} available`}
      </p>
      {[...rows].map(([row, rowSeats]) => (
        // biome-ignore lint/a11y/useSemanticElements: a row of seat buttons is a group, not a form fieldset.
        <div class="seat-row" role="group" aria-label={`${section.name}, row ${row}`}>
          <span class="row-label" aria-hidden="true">
            {row}
          </span>
          {rowSeats.map((seat) => (
            <Seat seat={seat} sectionName={section.name} />
          ))}
        </div>
      ))}
    </section>
  );
}

export function eventPage(
  c: Context,
  event: EventWithSections,
  seats: SeatView[],
  options: { testPayments: boolean },
) {
  const data: EventPageData = {
    event: {
      id: event.id,
      name: event.name,
      currency: event.currency,
      maxSeatsPerBuyer: event.maxSeatsPerBuyer,
      waitingRoom: event.waitingRoom?.enabled ?? false,
      sections: event.sections.map(({ id, name, price }) => ({ id, name, price })),
    },
    testPayments: options.testPayments,
  };
  const bySection = new Map<string, SeatView[]>();
  for (const seat of seats) bySection.set(seat.section, [...(bySection.get(seat.section) ?? []), seat]);
  return renderPage(c, {
    title: event.name,
    entry: 'event',
    data,
    children: (
      <>
        <h1>{event.name}</h1>
        <p class="event-meta">
          {event.venue} · <time datetime={event.startsAt}>{formatDateTime(event.startsAt)} UTC</time>
          {event.salesOpenAt && Date.parse(event.salesOpenAt) > Date.now()
            ? ` · on sale from ${formatDateTime(event.salesOpenAt)} UTC`
            : ''}
        </p>
        <div class="event-layout">
          <section class="seat-map" aria-labelledby="map-heading">
            <h2 id="map-heading">Seats</h2>
            <p id="live-status" class="live-status" data-live="connecting">
              Connecting to live updates…
            </p>
            <ul class="legend" aria-label="Legend">
              <li>
                <span class="swatch" data-status="available" /> available
              </li>
              <li>
                <span class="swatch" data-status="selected" /> selected
              </li>
              <li>
                <span class="swatch" data-status="held" /> held
              </li>
              <li>
                <span class="swatch" data-status="sold" /> sold
              </li>
            </ul>
            {seats.length < event.totalSeats && (
              <p class="hint">
                {`This venue has ${event.totalSeats} seats; the map shows the first ${seats.length}. ` +
                  'The rest can be held as best available in their section through the API.'}
              </p>
            )}
            {event.sections.map((section) => (
              <Section section={section} seats={bySection.get(section.id) ?? []} currency={event.currency} />
            ))}
          </section>

          <aside class="checkout" aria-labelledby="checkout-heading">
            <h2 id="checkout-heading" tabindex={-1}>
              Checkout
            </h2>
            <div id="sign-in-hint" class="panel" hidden>
              <p>
                <a id="sign-in-link" href={`/sign-in?next=/events/${encodeURIComponent(event.id)}`}>
                  Sign in as a buyer
                </a>{' '}
                to hold and buy seats.
              </p>
            </div>

            <div id="room" class="panel" hidden>
              <h3 id="room-heading" tabindex={-1}>
                Waiting room
              </h3>
              <p id="room-status" role="status">
                Joining the queue…
              </p>
              <p>
                Estimated wait: <span id="room-wait">working it out</span>
              </p>
              <progress id="room-progress" aria-labelledby="room-heading" />
              <p class="hint">
                Keep this page open: your place is kept in it. Your browser solves a small puzzle before each
                attempt, which keeps bots out of the line.
              </p>
            </div>

            <div id="selection" class="panel">
              <h3>Your seats</h3>
              <p id="selection-summary">{`No seats selected (at most ${event.maxSeatsPerBuyer}).`}</p>
              <ul id="selected-list" class="selected-list" />
              <button type="button" id="hold-button" class="primary" disabled>
                Hold seats
              </button>
            </div>

            <div id="hold" class="panel" hidden>
              <h3 id="hold-heading" tabindex={-1}>
                Seats held for you
              </h3>
              <p>
                Time left to pay:{' '}
                <span id="hold-countdown" class="countdown" role="timer" aria-live="off">
                  –
                </span>
              </p>
              <p id="hold-summary" />
              <form id="pay-form">
                {options.testPayments ? (
                  <fieldset>
                    <legend>Payment method (Stripe test mode)</legend>
                    {testPaymentMethods.map((method, index) => (
                      <label class="choice">
                        <input type="radio" name="paymentMethod" value={method.id} checked={index === 0} />{' '}
                        {method.label} <code>{method.id}</code>
                      </label>
                    ))}
                  </fieldset>
                ) : (
                  <p>
                    Card payments with a live Stripe key take Stripe Elements, which loads from Stripe: not
                    part of these pages yet (see the README).
                  </p>
                )}
                <div class="actions">
                  <button type="submit" id="pay-button" class="primary" disabled={!options.testPayments}>
                    Pay
                  </button>
                  <button type="button" id="cancel-button">
                    Release the seats
                  </button>
                </div>
              </form>
            </div>

            <p id="checkout-status" class="status" role="status" />
            <p id="checkout-error" class="error" role="alert" />
          </aside>
        </div>
      </>
    ),
  });
}
