// Owns the order page's script: reads the buyer's order with their token and shows its seats, amount
// and each ticket's signed code as a QR code (the qrcode package, bundled; drawn as SVG in the page).
import QRCode from 'qrcode';
import { ApiError, api } from './lib/api';
import { formatDateTime, formatMoney } from './lib/format';
import { byId, element, pageData } from './lib/page';
import { renderSessionBar, signInHref } from './lib/session';

interface Order {
  id: string;
  eventId: string;
  seats: { id: string; price: number }[];
  amount: number;
  refundedAmount: number;
  currency: string;
  status: string;
  createdAt: string;
  tickets: { seatId: string; code: string; status: 'VALID' | 'VOID' }[];
}

const { orderId } = pageData<{ orderId: string }>();
const session = renderSessionBar();
const container = byId('order');
const status = byId('order-status');

async function ticketItem(ticket: Order['tickets'][number]): Promise<HTMLLIElement> {
  const item = element('li', undefined, { class: 'ticket', 'data-ticket-seat': ticket.seatId });
  const figure = element('figure');
  const code = element('div', undefined, {
    class: 'qr',
    role: 'img',
    'aria-label': `QR code of the ticket for seat ${ticket.seatId}`,
  });
  // The library's own SVG of our ticket code: markup made from data, never from anyone's input.
  code.innerHTML = await QRCode.toString(ticket.code, { type: 'svg', margin: 1, errorCorrectionLevel: 'M' });
  const caption = element('figcaption');
  caption.append(
    element('strong', `Seat ${ticket.seatId}`),
    element('span', ticket.status === 'VALID' ? 'Valid' : 'Void (refunded)', { class: 'ticket-status' }),
    element('code', ticket.code, { class: 'ticket-code' }),
  );
  figure.append(code, caption);
  item.append(figure);
  return item;
}

async function show(): Promise<void> {
  if (!session) {
    const link = element('a', 'Sign in', { href: signInHref() });
    status.replaceChildren(link, ' to see your order.');
    return;
  }
  try {
    const { body: order } = await api<Order>('GET', `/v1/orders/${encodeURIComponent(orderId)}`);
    const event = await api<{ name: string; venue: string; startsAt: string }>(
      'GET',
      `/v1/events/${encodeURIComponent(order.eventId)}`,
    ).then(
      (answer) => answer.body,
      () => undefined,
    );
    const summary = element('dl', undefined, { class: 'order-summary' });
    const facts: [string, string][] = [
      ['Order', order.id],
      [
        'Event',
        event ? `${event.name}, ${event.venue}, ${formatDateTime(event.startsAt)} UTC` : order.eventId,
      ],
      ['Seats', order.seats.map((seat) => seat.id).join(', ')],
      ['Paid', formatMoney(order.amount, order.currency)],
      ['Status', order.status],
    ];
    if (order.refundedAmount > 0) facts.push(['Refunded', formatMoney(order.refundedAmount, order.currency)]);
    for (const [term, value] of facts) summary.append(element('dt', term), element('dd', value));
    const tickets = element('ul', undefined, { class: 'tickets', 'aria-label': 'Tickets' });
    tickets.append(...(await Promise.all(order.tickets.map(ticketItem))));
    container.replaceChildren(
      summary,
      element('h2', `Your tickets (${order.tickets.length})`),
      element('p', 'Show a code at the door; each is signed and scanned once.', { class: 'hint' }),
      tickets,
    );
    container.setAttribute('aria-busy', 'false');
    byId('order-heading').focus();
  } catch (failure) {
    container.setAttribute('aria-busy', 'false');
    status.textContent =
      failure instanceof ApiError && failure.code === 'ORDER_NOT_FOUND'
        ? `There is no order ${orderId} of yours (signed in as ${session.userId}).`
        : `Could not load the order: ${(failure as Error).message}`;
  }
}

await show();
