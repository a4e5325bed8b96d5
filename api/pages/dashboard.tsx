// Owns the organizer dashboard's markup (`/organizer/events/{eventId}`): the figures and charts that
// web/dashboard.ts keeps moving from the sales stream, read with the organizer's token.
import type { Context } from 'hono';
import type { EventWithSections } from '../../src/inventory/events';
import type { DashboardData } from '../../web/dashboard/data';
import { formatDateTime } from '../../web/lib/format';
import { renderPage } from './layout';

const figures = [
  { id: 'sold', label: 'Sold' },
  { id: 'held', label: 'Held' },
  { id: 'available', label: 'Available' },
  { id: 'revenue', label: 'Net revenue' },
] as const;

export function dashboardPage(c: Context, event: EventWithSections) {
  const data: DashboardData = { eventId: event.id, currency: event.currency, totalSeats: event.totalSeats };
  return renderPage(c, {
    title: `${event.name}: sales`,
    entry: 'dashboard',
    data,
    children: (
      <>
        <h1>{`${event.name}: sales`}</h1>
        <p class="event-meta">
          {event.venue} · <time datetime={event.startsAt}>{formatDateTime(event.startsAt)} UTC</time> ·{' '}
          <a href={`/events/${encodeURIComponent(event.id)}`}>Event page</a>
        </p>
        <p id="dashboard-status" class="live-status" role="status" data-live="connecting">
          Connecting to the sales stream…
        </p>
        <div id="dashboard" hidden>
          <dl class="figures">
            {figures.map((figure) => (
              <div class="figure">
                <dt>{figure.label}</dt>
                <dd id={`figure-${figure.id}`}>–</dd>
              </div>
            ))}
          </dl>
          <section aria-labelledby="sections-heading">
            <h2 id="sections-heading">Seats per section</h2>
            <table class="sections-table">
              <thead>
                <tr>
                  <th scope="col">Section</th>
                  <th scope="col">Sold</th>
                  <th scope="col">Held</th>
                  <th scope="col">Available</th>
                  <th scope="col">Revenue</th>
                  <th scope="col">
                    <span class="visually-hidden">Share sold and held</span>
                  </th>
                </tr>
              </thead>
              <tbody id="sections-body" />
            </table>
          </section>
          <div class="charts">
            <section aria-labelledby="funnel-heading">
              <h2 id="funnel-heading">Funnel</h2>
              <div id="funnel-chart" class="chart" />
            </section>
            <section aria-labelledby="timeline-heading">
              <h2 id="timeline-heading">Seats sold since this page opened</h2>
              <div id="timeline-chart" class="chart" />
            </section>
          </div>
          <p id="dashboard-money" class="meta" />
        </div>
      </>
    ),
  });
}
