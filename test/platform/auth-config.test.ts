// Configuration of the keys: exactly one source of bearer-token keys (a shared secret or an identity
// provider's JWKS), a ticket key of its own, and the public development values refused in production.
import { describe, expect, it } from 'vitest';
import { ConfigError, devSecrets, loadConfig } from '../../src/platform/config';

const own = {
  AUTH_JWT_SECRET: 'an-own-secret-of-32-characters!!',
  TICKET_SIGNING_SECRET: 'an-own-ticket-key-of-32-chars!!!',
  WAITING_ROOM_KEYS: 'k1:an-own-waiting-room-key-32-chars',
  STRIPE_SECRET_KEY: 'sk_test_123',
};
const jwks = {
  AUTH_JWKS_URL: 'https://id.example.com/.well-known/jwks.json',
  AUTH_JWT_ISSUER: 'https://id.example.com/',
  AUTH_JWT_AUDIENCE: 'boxoffice-api',
};

/** The one line a process prints when it refuses `env`. */
function refusal(env: NodeJS.ProcessEnv): string {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error('the configuration was accepted');
}

describe('bearer-token keys', () => {
  it('takes a shared secret, or an identity provider with its issuer and audience', () => {
    expect(loadConfig(own).auth).toEqual({ jwtSecret: own.AUTH_JWT_SECRET });
    const { AUTH_JWT_SECRET: _, ...withoutSecret } = own;
    expect(loadConfig({ ...withoutSecret, ...jwks }).auth).toEqual({
      jwksUrl: jwks.AUTH_JWKS_URL,
      issuer: jwks.AUTH_JWT_ISSUER,
      audience: jwks.AUTH_JWT_AUDIENCE,
    });
  });

  it('refuses both or neither, in one line', () => {
    expect(refusal({ ...own, ...jwks })).toMatch(/set only one of AUTH_JWT_SECRET and AUTH_JWKS_URL/);
    const { AUTH_JWT_SECRET: _, ...withoutSecret } = own;
    expect(refusal(withoutSecret)).toMatch(/AUTH_JWT_SECRET is required \(or AUTH_JWKS_URL/);
    expect(refusal(withoutSecret)).not.toContain('\n');
  });

  it('needs the issuer and the audience with a JWKS, so tokens for other applications are refused', () => {
    const { AUTH_JWT_SECRET: _, ...withoutSecret } = own;
    const { AUTH_JWT_ISSUER: _i, AUTH_JWT_AUDIENCE: _a, ...onlyUrl } = jwks;
    const message = refusal({ ...withoutSecret, ...onlyUrl });
    expect(message).toContain('AUTH_JWT_ISSUER is required with AUTH_JWKS_URL');
    expect(message).toContain('AUTH_JWT_AUDIENCE is required with AUTH_JWKS_URL');
    expect(refusal({ ...withoutSecret, ...jwks, AUTH_JWKS_URL: 'ftp://x' })).toContain('AUTH_JWKS_URL');
  });

  it('refuses a ticket key equal to the JWT secret', () => {
    expect(refusal({ ...own, TICKET_SIGNING_SECRET: own.AUTH_JWT_SECRET })).toContain(
      'TICKET_SIGNING_SECRET must differ from AUTH_JWT_SECRET',
    );
  });
});

describe('the public development values', () => {
  const dev = {
    AUTH_JWT_SECRET: devSecrets.AUTH_JWT_SECRET,
    TICKET_SIGNING_SECRET: devSecrets.TICKET_SIGNING_SECRET,
    STRIPE_WEBHOOK_SECRET: devSecrets.STRIPE_WEBHOOK_SECRET,
    WAITING_ROOM_KEYS: devSecrets.WAITING_ROOM_KEYS,
    STRIPE_SECRET_KEY: 'sk_test_boxoffice',
  };

  it('are accepted in development, and the ticket key defaults to its own', () => {
    expect(loadConfig(dev).auth.jwtSecret).toBe(devSecrets.AUTH_JWT_SECRET);
    expect(loadConfig({ ...dev, NODE_ENV: 'test' }).stripe.webhookSecret).toBe(
      devSecrets.STRIPE_WEBHOOK_SECRET,
    );
    const { TICKET_SIGNING_SECRET: _, ...defaultTicketKey } = own;
    expect(loadConfig(defaultTicketKey).ticketSigningSecret).toBe(devSecrets.TICKET_SIGNING_SECRET);
  });

  it.each([
    ['NODE_ENV=production', { NODE_ENV: 'production' }],
    ['a live Stripe key', { STRIPE_SECRET_KEY: 'sk_live_abc' }],
    ['a live Stripe key', { STRIPE_SECRET_KEY: 'rk_live_abc' }],
  ])('are refused at start with %s, each named in one line', (why, strict) => {
    const message = refusal({ ...dev, ...strict });
    expect(message).not.toContain('\n');
    for (const name of [
      'AUTH_JWT_SECRET',
      'TICKET_SIGNING_SECRET',
      'STRIPE_WEBHOOK_SECRET',
      'WAITING_ROOM_KEYS',
    ]) {
      expect(message).toContain(`${name} is the public development value, refused with ${why}`);
    }
  });

  it.each(['TICKET_SIGNING_SECRET', 'WAITING_ROOM_KEYS'] as const)(
    'refuse production without %s of its own, since the default is the development one',
    (name) => {
      const { [name]: _, ...defaulted } = own;
      expect(refusal({ ...defaulted, NODE_ENV: 'production' })).toContain(
        `${name} is required with NODE_ENV=production`,
      );
    },
  );

  it('leave secrets of your own alone in production', () => {
    const config = loadConfig({ ...own, NODE_ENV: 'production', STRIPE_WEBHOOK_SECRET: 'whsec_own' });
    expect(config.auth.jwtSecret).toBe(own.AUTH_JWT_SECRET);
    expect(config.ticketSigningSecret).toBe(own.TICKET_SIGNING_SECRET);
  });
});
