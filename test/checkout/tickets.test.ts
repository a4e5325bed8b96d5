// Ticket codes are signed with their own key (TICKET_SIGNING_SECRET), never with the bearer-token secret:
// whoever holds one of the two keys can neither forge nor check the other's signatures.
import { describe, expect, it } from 'vitest';
import { signTicket, verifyTicket } from '../../src/checkout/tickets';
import { loadConfig } from '../../src/platform/config';

const required = { AUTH_JWT_SECRET: 'a-secret-of-sixteen+', STRIPE_SECRET_KEY: 'sk_test_123' };

describe('ticket codes', () => {
  it('verify with the ticket key, not with the JWT secret', () => {
    const config = loadConfig({ ...required, TICKET_SIGNING_SECRET: 'the-ticket-key-of-16+' });
    const code = signTicket(config.ticketSigningSecret, 'ord_1', 'floor-A-1');
    expect(verifyTicket(config.ticketSigningSecret, code)).toEqual({ orderId: 'ord_1', seatId: 'floor-A-1' });
    expect(verifyTicket(required.AUTH_JWT_SECRET, code)).toBeUndefined();
    expect(
      verifyTicket(config.ticketSigningSecret, signTicket(required.AUTH_JWT_SECRET, 'ord_1', 'floor-A-1')),
    ).toBeUndefined();
  });

  it('are not signed with the JWT secret when no ticket key is given (development)', () => {
    const config = loadConfig(required);
    expect(config.ticketSigningSecret).not.toBe(required.AUTH_JWT_SECRET);
    const code = signTicket(config.ticketSigningSecret, 'ord_1', 'floor-A-1');
    expect(verifyTicket(required.AUTH_JWT_SECRET, code)).toBeUndefined();
  });

  it('refuse a code whose order or seat was changed', () => {
    const code = signTicket('the-ticket-key-of-16+', 'ord_1', 'floor-A-1');
    const [, , signature] = code.split('.');
    expect(verifyTicket('the-ticket-key-of-16+', `ord_2.floor-A-1.${signature}`)).toBeUndefined();
    expect(verifyTicket('the-ticket-key-of-16+', `ord_1.floor-A-2.${signature}`)).toBeUndefined();
  });
});
