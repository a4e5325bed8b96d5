// Owns the event page's seat map in the browser: seats change status live from the seat stream (SSE,
// resumed by EventSource with Last-Event-ID), section counts follow the availability pushes, and the
// buyer selects available seats up to the event's limit.
import { announce, byId } from '../lib/page';
import { type EventPageData, seatLabel } from './data';

type Status = 'available' | 'held' | 'sold';

export interface SelectedSeat {
  id: string;
  label: string;
  price: number;
}

/** How long to wait before opening the stream again after the server refused it (e.g. at its cap). */
const reopenAfterMs = 5000;

export function createSeatMap(data: EventPageData['event'], onSelection: (seats: SelectedSeat[]) => void) {
  const buttons = new Map<string, HTMLButtonElement>();
  for (const button of document.querySelectorAll<HTMLButtonElement>('button.seat[data-seat-id]')) {
    buttons.set(button.dataset.seatId as string, button);
  }
  const sections = new Map(data.sections.map((section) => [section.id, section]));
  const selected = new Set<string>();
  /** Seats this buyer is holding or asking to hold: their turning held is no news to announce. */
  const claimed = new Set<string>();

  /** Section, row and number of a seat id (`${section}-${row}-${seat}`; none of them has a hyphen). */
  function partsOf(id: string) {
    const [section = '', row = '', number = ''] = id.split('-');
    return { section: sections.get(section), row, number };
  }

  function describe(id: string): SelectedSeat {
    const { section, row, number } = partsOf(id);
    return { id, label: `${section?.name ?? ''} row ${row}, seat ${number}`, price: section?.price ?? 0 };
  }

  const changed = () => onSelection([...selected].map(describe));

  function setStatus(id: string, status: Status): void {
    const button = buttons.get(id);
    if (!button || button.dataset.status === status) return;
    button.dataset.status = status;
    button.disabled = status !== 'available';
    const { section, row, number } = partsOf(id);
    button.setAttribute('aria-label', seatLabel({ row, number }, section?.name ?? '', status));
    if (status !== 'available' && selected.has(id) && !claimed.has(id)) {
      selected.delete(id);
      button.setAttribute('aria-pressed', 'false');
      announce(`${describe(id).label} was just taken by someone else.`);
      changed();
    }
  }

  function toggle(button: HTMLButtonElement): void {
    const id = button.dataset.seatId as string;
    if (selected.has(id)) {
      selected.delete(id);
    } else {
      if (button.dataset.status !== 'available') return;
      if (selected.size >= data.maxSeatsPerBuyer) {
        announce(`You can choose at most ${data.maxSeatsPerBuyer} seats.`);
        return;
      }
      selected.add(id);
    }
    button.setAttribute('aria-pressed', String(selected.has(id)));
    changed();
  }

  for (const button of buttons.values()) button.addEventListener('click', () => toggle(button));

  const liveStatus = byId('live-status');
  function showLive(state: 'live' | 'reconnecting', text: string): void {
    liveStatus.dataset.live = state;
    liveStatus.textContent = text;
  }

  function open(): void {
    const stream = new EventSource(`/v1/events/${encodeURIComponent(data.id)}/seats/stream`);
    stream.addEventListener('open', () => showLive('live', 'Live: seats update as they sell.'));
    stream.addEventListener('snapshot', (message) => {
      const snapshot = JSON.parse(message.data) as { seats: { id: string; status: Status }[] };
      for (const seat of snapshot.seats) setStatus(seat.id, seat.status);
    });
    stream.addEventListener('seat', (message) => {
      const seat = JSON.parse(message.data) as { id: string; status: Status };
      setStatus(seat.id, seat.status);
    });
    stream.addEventListener('availability', (message) => {
      const counts = JSON.parse(message.data) as {
        sections: { id: string; available: number; held: number; sold: number }[];
      };
      for (const section of counts.sections) {
        const total = section.available + section.held + section.sold;
        const target = document.querySelector(`[data-section-counts="${CSS.escape(section.id)}"]`);
        if (target) target.textContent = `${section.available} of ${total} available`;
      }
    });
    stream.addEventListener('error', () => {
      // EventSource reconnects by itself (sending Last-Event-ID) unless the server refused the stream.
      if (stream.readyState === EventSource.CLOSED) {
        showLive('reconnecting', 'Live updates paused; reconnecting…');
        setTimeout(open, reopenAfterMs);
      } else {
        showLive('reconnecting', 'Live updates interrupted; reconnecting…');
      }
    });
  }

  return {
    open,
    selected: () => [...selected].map(describe),
    /** The seats this buyer holds (or is asking for): shown as theirs, their own holds not announced. */
    claim(ids: string[]): void {
      for (const id of ids) {
        claimed.add(id);
        buttons.get(id)?.setAttribute('data-mine', 'true');
      }
    },
    /** Seats no longer this buyer's (released, expired, refused), and no longer selected. */
    unclaim(ids: string[]): void {
      for (const id of ids) {
        claimed.delete(id);
        selected.delete(id);
        const button = buttons.get(id);
        button?.removeAttribute('data-mine');
        button?.setAttribute('aria-pressed', 'false');
      }
      changed();
    },
    /** The selection became a hold: the seats stay marked as the buyer's, not as a choice. */
    clearSelection(): void {
      for (const id of selected) buttons.get(id)?.setAttribute('aria-pressed', 'false');
      selected.clear();
      changed();
    },
    /** Seats the server says are taken, whatever the stream has said so far. */
    markTaken(ids: string[]): void {
      for (const id of ids) if (!claimed.has(id)) setStatus(id, 'held');
    },
  };
}

export type SeatMap = ReturnType<typeof createSeatMap>;
