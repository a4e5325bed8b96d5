// Owns the home page (`/`): the events on sale, newest first, each linking to its event page and its
// organizer's dashboard.
import type { Context } from 'hono';
import type { EventRecord } from '../../src/inventory/events';
import { formatDateTime } from '../../web/lib/format';
import { renderPage } from './layout';

function EventItem({ event }: { event: EventRecord }) {
  return (
    <li class="event-card">
      <h2>
        <a href={`/events/${encodeURIComponent(event.id)}`}>{event.name}</a>
      </h2>
      <p>
        {event.venue} · <time datetime={event.startsAt}>{formatDateTime(event.startsAt)} UTC</time>
      </p>
      <p class="meta">
        {`${event.totalSeats} seats`}
        {event.waitingRoom?.enabled ? ' · waiting room' : ''} ·{' '}
        <a href={`/organizer/events/${encodeURIComponent(event.id)}`}>Organizer dashboard</a>
      </p>
    </li>
  );
}

export function homePage(c: Context, events: EventRecord[]) {
  return renderPage(c, {
    title: 'Events',
    entry: 'home',
    children: (
      <>
        <h1>Events</h1>
        {events.length === 0 ? (
          <p>No events yet. An organizer creates one with POST /v1/events (see the API docs).</p>
        ) : (
          <ul class="event-list">
            {events.map((event) => (
              <EventItem event={event} />
            ))}
          </ul>
        )}
      </>
    ),
  });
}
