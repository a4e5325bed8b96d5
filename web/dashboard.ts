// Owns the organizer dashboard's script: follows the event's sales stream (read with the organizer's
// token through fetch, since EventSource cannot send one) and redraws the figures, the per-section table
// and the charts with every push; reconnects when the stream drops.
import { barChart, shareBar, stepLine } from './dashboard/charts';
import type { DashboardData, SalesView } from './dashboard/data';
import { ApiError } from './lib/api';
import { readEventStream } from './lib/event-stream';
import { formatMoney } from './lib/format';
import { announce, byId, element, pageData } from './lib/page';
import { renderSessionBar, signInHref } from './lib/session';

const data = pageData<DashboardData>();
const session = renderSessionBar();
const status = byId('dashboard-status');
/** Sold seats over time, from this page's first view on. */
const timeline: { at: number; value: number }[] = [];
const reconnectMs = 3000;

function setFigure(id: string, value: string): void {
  byId(`figure-${id}`).textContent = value;
}

function render(view: SalesView): void {
  const money = (minor: number) => formatMoney(minor, view.currency);
  const previous = timeline[timeline.length - 1]?.value;
  setFigure('sold', String(view.seats.sold));
  setFigure('held', String(view.seats.held));
  setFigure('available', String(view.seats.available));
  setFigure('revenue', money(view.revenue.net));
  if (previous !== undefined && previous !== view.seats.sold) {
    announce(`${view.seats.sold} of ${view.seats.total} seats sold.`);
  }
  timeline.push({ at: Date.now(), value: view.seats.sold });

  byId('sections-body').replaceChildren(
    ...view.sections.map((section) => {
      const row = element('tr', undefined, { 'data-section-id': section.id });
      const share = element('td');
      share.append(
        shareBar(
          section,
          `${section.name}: ${section.sold} sold, ${section.held} held, ${section.available} available`,
        ),
      );
      row.append(
        element('th', section.name, { scope: 'row' }),
        element('td', String(section.sold)),
        element('td', String(section.held)),
        element('td', String(section.available)),
        element('td', money(section.revenue)),
        share,
      );
      return row;
    }),
  );

  const { funnel } = view;
  byId('funnel-chart').replaceChildren(
    barChart(
      [
        { label: 'Holds', value: funnel.holds, kind: 'held' },
        { label: 'Paid', value: funnel.confirms, kind: 'sold' },
        { label: 'Declines', value: funnel.declines, kind: 'bad' },
        { label: 'Expired', value: funnel.expiries, kind: 'muted' },
        { label: 'Cancelled', value: funnel.cancels, kind: 'muted' },
        { label: 'Open', value: funnel.open, kind: 'available' },
      ],
      `Funnel: ${funnel.holds} holds, ${funnel.confirms} paid, ${funnel.declines} declines, ` +
        `${funnel.expiries} expired, ${funnel.cancels} cancelled, ${funnel.open} open`,
    ),
  );
  byId('timeline-chart').replaceChildren(
    stepLine(
      timeline,
      view.seats.total,
      `Seats sold over time: ${view.seats.sold} of ${view.seats.total} now`,
    ),
  );
  byId('dashboard-money').textContent =
    `Gross ${money(view.revenue.gross)}, refunded ${money(view.revenue.refunded)} ` +
    `(${view.refunds.count} refunds); ${view.orders.paid} paid orders, ${view.orders.validTickets} valid tickets.`;
  byId('dashboard').hidden = false;
}

function showStatus(state: 'live' | 'reconnecting' | 'refused', text: string): void {
  status.dataset.live = state;
  status.textContent = text;
}

async function follow(token: string): Promise<void> {
  for (;;) {
    try {
      const response = await fetch(`/v1/events/${encodeURIComponent(data.eventId)}/sales/stream`, {
        headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
      });
      if (!response.ok || !response.body) {
        const problem = (await response.json().catch(() => ({}))) as { code?: string; detail?: string };
        throw new ApiError(
          response.status,
          problem.code ?? `HTTP_${response.status}`,
          problem.detail ?? '',
          problem,
        );
      }
      showStatus('live', 'Live: figures move as the sale goes.');
      await readEventStream(response.body, (event) => {
        if (event.event === 'sales') render(JSON.parse(event.data) as SalesView);
      });
      showStatus('reconnecting', 'The sales stream ended; reconnecting…');
    } catch (failure) {
      if (failure instanceof ApiError && [401, 403, 404].includes(failure.status)) {
        showStatus(
          'refused',
          failure.status === 404
            ? 'This is not one of your events: only its organizer sees its sales.'
            : `Only the event's organizer sees its sales (${failure.message}).`,
        );
        return;
      }
      showStatus('reconnecting', 'Lost the sales stream; reconnecting…');
    }
    await new Promise((resolve) => setTimeout(resolve, reconnectMs));
  }
}

if (session?.role === 'organizer') {
  await follow(session.token);
} else {
  const link = element('a', 'Sign in as the organizer', { href: signInHref() });
  status.dataset.live = 'refused';
  status.replaceChildren(link, " to see this event's sales.");
}
