// Owns the event page's waiting room: runs the queue in a Web Worker (queue-worker.ts), shows the place
// and the estimated wait while it lasts, and keeps the admission for this tab's session, since the server
// admits a buyer once per event.
import { formatWait } from '../lib/format';
import { announce, byId } from '../lib/page';
import type { Session } from '../lib/session';
import type { FromQueueWorker, ToQueueWorker } from './queue-messages';

export interface Admission {
  admissionToken: string;
  expiresAt: string;
}

/** The room ended without an admission: why, in the server's words and code. */
export class RoomClosed extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'RoomClosed';
  }
}

const storageKey = (eventId: string, userId: string) => `boxoffice.admission.${eventId}.${userId}`;

/** The admission kept from earlier in this session, while it still has a little time left. */
function keptAdmission(key: string): Admission | undefined {
  const kept = sessionStorage.getItem(key);
  if (!kept) return undefined;
  const admission = JSON.parse(kept) as Admission;
  if (Date.parse(admission.expiresAt) - Date.now() > 5000) return admission;
  sessionStorage.removeItem(key);
  return undefined;
}

function explain(code: string, message: string, retryAfterSeconds?: number): string {
  switch (code) {
    case 'SOLD_OUT':
      return 'Sold out: every seat has been sold.';
    case 'LOCKED_OUT':
      return `Too many refused attempts from this browser; try again in ${retryAfterSeconds ?? 60} seconds.`;
    case 'ALREADY_ADMITTED':
      return 'You were admitted already, in another tab or window: continue there.';
    default:
      return `The waiting room refused: ${message}`;
  }
}

/** Forgets the kept admission (the server refused it: expired or spent). */
export function forgetAdmission(eventId: string, session: Session): void {
  sessionStorage.removeItem(storageKey(eventId, session.userId));
}

/**
 * Waits in the event's room until admitted; resolves undefined when the room is off (hold directly),
 * rejects with RoomClosed when it refuses for good (sold out, locked out).
 */
export function waitInRoom(eventId: string, session: Session): Promise<Admission | undefined> {
  const key = storageKey(eventId, session.userId);
  const kept = keptAdmission(key);
  if (kept) return Promise.resolve(kept);

  const panel = byId('room');
  const status = byId('room-status');
  const wait = byId('room-wait');
  panel.hidden = false;
  panel.dataset.state = 'waiting';
  status.textContent = 'Joining the queue…';

  const worker = new Worker(new URL('./queue-worker.ts', import.meta.url), { type: 'module' });
  return new Promise((resolve, reject) => {
    worker.addEventListener('message', (event: MessageEvent<FromQueueWorker>) => {
      const message = event.data;
      if (message.type === 'waiting') {
        wait.textContent = formatWait(message.estimatedWaitSeconds);
        status.textContent =
          message.attempts === 0
            ? 'You are in the queue. Your turn comes up automatically.'
            : `Still in the queue (attempt ${message.attempts}). Your turn comes up automatically.`;
        return;
      }
      worker.terminate();
      if (message.type === 'admitted') {
        const admission = { admissionToken: message.admissionToken, expiresAt: message.expiresAt };
        sessionStorage.setItem(key, JSON.stringify(admission));
        panel.dataset.state = 'admitted';
        panel.hidden = true;
        announce("It's your turn: choose your seats and hold them.");
        resolve(admission);
        return;
      }
      if (message.code === 'WAITING_ROOM_OFF') {
        panel.hidden = true;
        resolve(undefined);
        return;
      }
      panel.dataset.state = 'closed';
      status.textContent = explain(message.code, message.message, message.retryAfterSeconds);
      byId('room-progress').hidden = true;
      reject(new RoomClosed(message.code, message.message));
    });
    const start: ToQueueWorker = { eventId, token: session.token };
    worker.postMessage(start);
  });
}
