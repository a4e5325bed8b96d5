// Owns the event page's script: wires the live seat map, the waiting room (when the event has one) and
// the checkout together for the signed-in buyer; anyone else sees the map live and a way to sign in.
import { createCheckout } from './event/checkout';
import type { EventPageData } from './event/data';
import { createSeatMap } from './event/seat-map';
import { type Admission, forgetAdmission, RoomClosed, waitInRoom } from './event/waiting-room';
import { byId, pageData } from './lib/page';
import { renderSessionBar, signInHref } from './lib/session';

const data = pageData<EventPageData>();
const session = renderSessionBar();

let admission: Promise<Admission | undefined> = Promise.resolve(undefined);
const seatMap = createSeatMap(data.event, (seats) => checkout.showSelection(seats));
const checkout = createCheckout({
  data,
  seatMap,
  admissionToken: async () => (await admission)?.admissionToken,
  onAdmissionRefused: () => void queue(),
});

/** Queues in the waiting room (again, after a refused admission); holds are allowed once admitted. */
async function queue(): Promise<void> {
  if (!session) return;
  checkout.forbidHolds();
  forgetAdmission(data.event.id, session);
  await admitted();
}

async function admitted(): Promise<void> {
  if (!session) return;
  admission = data.event.waitingRoom ? waitInRoom(data.event.id, session) : Promise.resolve(undefined);
  try {
    await admission;
    checkout.allowHolds();
  } catch (error) {
    // The room said why on the page (sold out, locked out); holds stay off.
    if (!(error instanceof RoomClosed)) throw error;
  }
}

seatMap.open();
if (session?.role === 'buyer') {
  await checkout.resume();
  await admitted();
} else {
  const hint = byId('sign-in-hint');
  byId<HTMLAnchorElement>('sign-in-link').href = signInHref();
  if (session) {
    byId('sign-in-link').textContent = `Signed in as ${session.role}: sign in as a buyer`;
  }
  hint.hidden = false;
}
