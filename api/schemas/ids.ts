// Owns the shape of every identifier the API accepts, one schema per kind (event, section, row, seat,
// reservation, order, refund, cursor, Idempotency-Key, payment method, PaymentIntent, user) and of free
// text: a strict charset and length checked at the edge, so a byte that Postgres, Redis or Temporal would
// choke on (0x00, a lone surrogate) is a 422 naming the parameter, never a 5xx or a stuck workflow.
import { z } from '@hono/zod-openapi';

function identifier(pattern: RegExp, description: string, example: string) {
  return z
    .string({ error: `must be ${description}` })
    .regex(pattern, `must be ${description}`)
    .openapi({ example });
}

const layoutPart = '[A-Za-z0-9_]{1,32}';
const seatPart = '[A-Za-z0-9_]{1,16}';

/** A section's or row's id in an event's layout. Never a '-': seat ids are `${section}-${row}-${seat}`. */
export const layoutId = identifier(new RegExp(`^${layoutPart}$`), '1 to 32 letters, digits or _', 'A');
/** A seat's label within its row. */
export const seatLabel = identifier(new RegExp(`^${seatPart}$`), '1 to 16 letters, digits or _', '7');
/** A seat's id: its section, row and label, so the id names one seat and its section can be read off it. */
export const seatId = identifier(
  new RegExp(`^${layoutPart}-${layoutPart}-${seatPart}$`),
  'a seat id <section>-<row>-<seat> of letters, digits or _',
  'A-1-7',
);

export const eventId = identifier(
  /^[A-Za-z0-9_-]{1,100}$/,
  'an event id of 1 to 100 letters, digits, _ or -',
  'evt_3f9a1c0b2d4e5f60718a',
);
export const reservationId = identifier(/^rsv_[\w-]{1,64}$/, 'a reservation id (rsv_...)', 'rsv_1Xc0');
export const orderId = identifier(/^ord_[\w-]{1,64}$/, 'an order id (ord_...)', 'ord_1Xc0');
export const refundId = identifier(
  /^refund_ord_[\w-]{1,100}$/,
  'a refund id (refund_ord_...)',
  'refund_ord_1Xc0_k2',
);
/** A page's position, as a previous page's `nextCursor` gave it. */
export const cursor = identifier(
  /^[A-Za-z0-9_-]{1,100}$/,
  "a previous page's nextCursor",
  'evt_3f9a1c0b2d4e5f60718a',
);
/** Visible ASCII without spaces: what every client's keys (UUIDs, `checkout-7f3a`, ...) are made of. */
export const idempotencyKey = identifier(
  /^[\x21-\x7e]{1,255}$/,
  '1 to 255 visible ASCII characters (no spaces)',
  'checkout-7f3a',
);
export const paymentMethodId = identifier(
  /^pm_\w{1,100}$/,
  'a Stripe PaymentMethod id (pm_...)',
  'pm_card_visa',
);
export const paymentIntentId = identifier(
  /^pi_\w{1,100}$/,
  'a Stripe PaymentIntent id (pi_...)',
  'pi_3MtwBw',
);
/** A user id as tokens carry it in `sub` (an identity provider's: `auth0|5f7c...`, an e-mail, a UUID). */
export const userId = identifier(/^[\x21-\x7e]{1,200}$/, '1 to 200 visible ASCII characters', 'alice');

/**
 * Free text a person typed (names, reasons): 1 to `maxLength` characters of any kind but control
 * characters and lone surrogates; `trim` drops surrounding whitespace first.
 */
export function text(maxLength: number, { trim = false } = {}) {
  const string = trim ? z.string().trim() : z.string();
  return (
    string
      .min(1)
      .max(maxLength)
      // A refinement, not .regex(): the document would publish the pattern with its /u flag glued on.
      .refine((value) => !/[\p{Cc}\p{Cs}]/u.test(value), 'must not contain control characters')
      .openapi({ description: 'Any characters but control characters.' })
  );
}
