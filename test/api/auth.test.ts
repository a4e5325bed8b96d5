// Bearer tokens through the real app: an expiry is required, issuer and audience are checked when
// configured, and an identity provider's keys (a JWKS served here on 127.0.0.1) replace the shared secret.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type CryptoKey, exportJWK, generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTokenVerifier, mintToken } from '../../api/auth';
import type { Config } from '../../src/platform/config';
import { connectTestStores, createTestApp, testConfig, testJwtSecret } from '../helpers/app';

const stores = connectTestStores(2);
beforeAll(() => stores.ready);
afterAll(() => stores.close());

/** A support-only read that touches nothing but Postgres: 200 `{ items: [] }` once the token passes. */
async function searchOrders(config: Config, token: string) {
  const app = createTestApp({ pool: stores.pool, redis: stores.redis, config });
  const response = await app.request('/v1/admin/orders?buyerId=auth-suite-nobody', {
    headers: { authorization: `Bearer ${token}` },
  });
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    body: (await response.json()) as Record<string, unknown>,
  };
}

/** A token with exactly `claims`, signed HS256 with `secret` (no expiry unless the claims carry one). */
function hs256(claims: JWTPayload, secret = testJwtSecret): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(secret));
}

const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;

describe('bearer tokens signed with AUTH_JWT_SECRET', () => {
  const config = testConfig();

  it('accepts a token with sub, role and exp', async () => {
    const answer = await searchOrders(config, await mintToken(testJwtSecret, 'sam', 'support'));
    expect(answer).toMatchObject({ status: 200, body: { items: [] } });
  });

  it('refuses a token without exp, naming the missing claim', async () => {
    const answer = await searchOrders(config, await hs256({ sub: 'sam', role: 'support' }));
    expect(answer.status).toBe(401);
    expect(answer.contentType).toContain('application/problem+json');
    expect(answer.body).toMatchObject({ code: 'UNAUTHORIZED', claim: 'exp' });
    expect(answer.body.detail).toMatch(/\bexp\b/);
  });

  it('refuses an expired token and one without sub', async () => {
    const expired = await mintToken(testJwtSecret, 'sam', 'support', '-1m');
    expect((await searchOrders(config, expired)).body).toMatchObject({ status: 401, claim: 'exp' });
    const anonymous = await hs256({ role: 'support', exp: inAnHour() });
    expect((await searchOrders(config, anonymous)).body).toMatchObject({ status: 401, claim: 'sub' });
  });

  it('refuses a token it verified before once the token has expired', async () => {
    const verifier = createTokenVerifier(config.auth);
    const token = await hs256({ sub: 'sam', role: 'support', exp: Math.floor(Date.now() / 1000) + 30 });
    expect(await verifier.verify(token)).toEqual({ userId: 'sam', role: 'support' });
    // Remembered for a minute, but never past its own exp.
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 31_000 });
    try {
      await expect(verifier.verify(token)).rejects.toMatchObject({
        code: 'UNAUTHORIZED',
        details: { claim: 'exp' },
      });
    } finally {
      vi.useRealTimers();
    }
  });

  it('refuses a sub with a NUL, a space or a lone surrogate, which would reach workflow ids and Postgres', async () => {
    for (const sub of ['sam\u0000', 'sam smith', 'sam\ud800', 'x'.repeat(201)]) {
      const token = await hs256({ sub, role: 'support', exp: inAnHour() });
      const answer = await searchOrders(config, token);
      expect(answer.body, JSON.stringify(sub)).toMatchObject({ status: 401, claim: 'sub' });
    }
    const email = await hs256({ sub: 'auth0|sam@example.com', role: 'support', exp: inAnHour() });
    expect((await searchOrders(config, email)).status).toBe(200);
  });
});

describe('AUTH_JWT_ISSUER and AUTH_JWT_AUDIENCE', () => {
  const issuer = 'https://id.boxoffice.test/';
  const audience = 'boxoffice-api';
  const config = testConfig({ AUTH_JWT_ISSUER: issuer, AUTH_JWT_AUDIENCE: audience });
  const support = { sub: 'sam', role: 'support', exp: inAnHour() };

  it('accepts a token from the configured issuer for the configured audience', async () => {
    const token = await mintToken(testJwtSecret, 'sam', 'support', '1h', { issuer, audience });
    expect((await searchOrders(config, token)).status).toBe(200);
  });

  it.each([
    ['another issuer', { iss: 'https://elsewhere.test/', aud: audience }, 'iss'],
    ['no issuer', { aud: audience }, 'iss'],
    ['another audience', { iss: issuer, aud: 'another-api' }, 'aud'],
    ['no audience', { iss: issuer }, 'aud'],
  ])('refuses a token with %s', async (_case, claims, claim) => {
    const answer = await searchOrders(config, await hs256({ ...support, ...claims }));
    expect(answer.body).toMatchObject({ status: 401, code: 'UNAUTHORIZED', claim });
  });
});

describe('AUTH_JWKS_URL: keys from an identity provider', () => {
  const issuer = 'https://idp.boxoffice.test/';
  const audience = 'boxoffice-api';
  let server: Server;
  let jwksUrl: string;
  let jwksFetches = 0;
  const rsa = generateKeyPair('RS256');
  const ed = generateKeyPair('EdDSA');

  beforeAll(async () => {
    const keys = [
      { ...(await exportJWK((await rsa).publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' },
      { ...(await exportJWK((await ed).publicKey)), kid: 'ed-1', alg: 'EdDSA', use: 'sig' },
    ];
    server = createServer((_request, response) => {
      jwksFetches += 1;
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const jwksConfig = () =>
    testConfig({
      AUTH_JWT_SECRET: '',
      AUTH_JWKS_URL: jwksUrl,
      AUTH_JWT_ISSUER: issuer,
      AUTH_JWT_AUDIENCE: audience,
    });

  async function signed(alg: 'RS256' | 'EdDSA', kid: string, privateKey: CryptoKey): Promise<string> {
    return new SignJWT({ role: 'support' })
      .setProtectedHeader({ alg, kid })
      .setSubject('sam')
      .setIssuer(issuer)
      .setAudience(audience)
      .setExpirationTime('10m')
      .sign(privateKey);
  }

  it('accepts RS256 and EdDSA tokens signed by its keys, fetching the key set once', async () => {
    const config = jwksConfig();
    const before = jwksFetches;
    const rsaToken = await signed('RS256', 'rsa-1', (await rsa).privateKey);
    const edToken = await signed('EdDSA', 'ed-1', (await ed).privateKey);
    for (const token of [rsaToken, edToken, rsaToken]) {
      expect(await searchOrders(config, token)).toMatchObject({ status: 200, body: { items: [] } });
    }
    expect(jwksFetches - before).toBe(1);
  });

  it('refuses an HS256 token, even one signed with the dev secret', async () => {
    const token = await mintToken('dev-secret-change-me-please', 'sam', 'support', '1h', {
      issuer,
      audience,
    });
    const answer = await searchOrders(jwksConfig(), token);
    expect(answer.body).toMatchObject({ status: 401, code: 'UNAUTHORIZED' });
    expect(answer.body.detail).toMatch(/RS256/);
  });

  it('refuses a token signed by a key it does not publish', async () => {
    const stranger = await generateKeyPair('RS256');
    const answer = await searchOrders(jwksConfig(), await signed('RS256', 'rsa-1', stranger.privateKey));
    expect(answer.body).toMatchObject({ status: 401, code: 'UNAUTHORIZED' });
  });

  it('answers 503 while the key set cannot be fetched, not 401', async () => {
    const config = testConfig({
      AUTH_JWT_SECRET: '',
      AUTH_JWKS_URL: 'http://127.0.0.1:1/jwks.json',
      AUTH_JWT_ISSUER: issuer,
      AUTH_JWT_AUDIENCE: audience,
    });
    const answer = await searchOrders(config, await signed('RS256', 'rsa-1', (await rsa).privateKey));
    expect(answer.body).toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE' });
  });
});
