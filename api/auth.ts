// Owns bearer-token authentication (JWTs with sub, role and exp, HS256 with a shared secret or RS256/EdDSA
// from an identity provider's JWKS, iss and aud checked when configured) and role checks for the API.
import type { MiddlewareHandler } from 'hono';
import { createRemoteJWKSet, errors, type JWTVerifyGetKey, jwtVerify, SignJWT } from 'jose';
import { DomainError } from '../src/errors';
import type { AuthConfig } from '../src/platform/config';
import type { Logger } from '../src/platform/logger';
import { createTtlCache } from '../src/platform/ttl-cache';
import { limitByBuyer } from './rate-limit';

export const roles = ['buyer', 'organizer', 'support'] as const;
export type Role = (typeof roles)[number];

export interface Principal {
  userId: string;
  role: Role;
}

export type AuthVariables = { principal: Principal };
/** What the role check reads from and writes to a request's context (the app sets `log` first). */
type AuthEnv = { Variables: AuthVariables & { log?: Logger } };

export interface TokenVerifier {
  /** The principal a bearer token names; UNAUTHORIZED (naming what is wrong) when it is not acceptable. */
  verify(token: string): Promise<Principal>;
}

/** A shared secret signs HS256 only; an identity provider's keys RS256 or EdDSA, never a shared secret. */
const secretAlgorithms = ['HS256'];
const identityProviderAlgorithms = ['RS256', 'EdDSA'];
/** Who, and until when: a token that never expires is refused rather than trusted forever. */
const requiredClaims = ['sub', 'exp'];

/** The identity provider's keys could not be fetched: the request may be fine, so 503 rather than 401. */
class KeySourceUnavailable extends DomainError {
  constructor(readonly reason: unknown) {
    super('SERVICE_UNAVAILABLE', "the identity provider's signing keys cannot be fetched; retry shortly");
  }
}

/** 1 to 200 characters, none of them a space, a control or format character (0x00, a lone surrogate). */
const subjectPattern = /^[^\p{C}\p{Z}]{1,200}$/u;

function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (roles as readonly string[]).includes(value);
}

/** The HS256 key imported once, so a request verifies a signature without importing a key first. */
function secretKey(secret: string): JWTVerifyGetKey {
  const key = crypto.subtle.importKey(
    'raw',
    new TextEncoder().encode(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['verify'],
  );
  return () => key;
}

/** The identity provider's key set, fetched on first use and cached (jose: 10 min, refetched for a new kid). */
function identityProviderKeys(jwksUrl: string): JWTVerifyGetKey {
  const keySet = createRemoteJWKSet(new URL(jwksUrl));
  return async function identityProviderKey(header, token) {
    try {
      return await keySet(header, token);
    } catch (error) {
      // These are about the token (a kid the provider does not publish); anything else is the fetch.
      if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys)
        throw error;
      throw new KeySourceUnavailable(error);
    }
  };
}

function unauthorized(detail: string, claim?: string): DomainError {
  return new DomainError('UNAUTHORIZED', detail, claim ? { claim } : {});
}

/** Why jose refused a token, as a detail a client can act on; the failing claim is named in `claim`. */
function refusal(error: unknown, auth: AuthConfig, algorithms: string[]): DomainError {
  if (error instanceof DomainError) return error;
  if (error instanceof errors.JWTExpired) return unauthorized('bearer token has expired', 'exp');
  if (error instanceof errors.JWTClaimValidationFailed) {
    const { claim, reason } = error;
    if (reason === 'missing') {
      return unauthorized(
        `bearer token has no ${claim} claim; tokens must carry ${requiredClaims.join(' and ')}`,
        claim,
      );
    }
    if (claim === 'iss') return unauthorized(`bearer token's issuer (iss) must be ${auth.issuer}`, claim);
    if (claim === 'aud')
      return unauthorized(`bearer token's audience (aud) must include ${auth.audience}`, claim);
    if (claim === 'nbf') return unauthorized('bearer token is not valid yet (nbf)', claim);
    return unauthorized(`bearer token has an invalid ${claim} claim`, claim);
  }
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return unauthorized(`bearer token must be signed with ${algorithms.join(' or ')}`);
  }
  return unauthorized('bearer token is invalid');
}

/**
 * How long a verified token is taken on its signature's word without checking it again: a buyer polling
 * or retrying sends the same token many times a minute, and WebCrypto's verify was a tenth of the API's
 * CPU per rejected hold. Its expiry is still checked on every request.
 */
const verifiedTokenTtlMs = 60_000;
const verifiedTokenEntries = 10_000;

/**
 * Verifies bearer tokens against `auth`'s keys: the HS256 secret imported once, or the JWKS fetched and
 * cached by one client; a token verified once is remembered for a minute, never past its exp. Build it
 * once per configuration (`requireRole` does).
 * @example const principal = await createTokenVerifier(config.auth).verify(token)
 */
export function createTokenVerifier(auth: AuthConfig): TokenVerifier {
  const [getKey, algorithms] =
    auth.jwksUrl !== undefined
      ? [identityProviderKeys(auth.jwksUrl), identityProviderAlgorithms]
      : [secretKey(auth.jwtSecret), secretAlgorithms];
  const options = { algorithms, requiredClaims, issuer: auth.issuer, audience: auth.audience };
  // A refused token is not kept (a failed load never is), so each refusal is checked and named afresh.
  const verified = createTtlCache(verifySignature, {
    ttlMs: verifiedTokenTtlMs,
    maxEntries: verifiedTokenEntries,
  });
  return {
    async verify(token) {
      const { principal, expiresAtMs } = await verified.get(token);
      if (expiresAtMs <= Date.now()) {
        verified.forget(token);
        throw unauthorized('bearer token has expired', 'exp');
      }
      return principal;
    },
  };

  async function verifySignature(token: string): Promise<{ principal: Principal; expiresAtMs: number }> {
    const { payload } = await jwtVerify(token, getKey, options).catch((error: unknown) => {
      throw refusal(error, auth, algorithms);
    });
    // The subject becomes the buyer's id in workflow ids, search attributes and Postgres rows.
    if (typeof payload.sub !== 'string' || !subjectPattern.test(payload.sub)) {
      throw unauthorized(
        'bearer token has no valid sub claim (1 to 200 characters, no spaces or control characters)',
        'sub',
      );
    }
    if (!isRole(payload.role)) {
      throw unauthorized(`bearer token's role must be one of ${roles.join(', ')}`, 'role');
    }
    // requiredClaims makes jose refuse a token without exp.
    return {
      principal: { userId: payload.sub, role: payload.role },
      expiresAtMs: (payload.exp as number) * 1000,
    };
  }
}

/** One verifier per configuration, shared by every route: one imported key, one JWKS cache. */
const verifiers = new WeakMap<AuthConfig, TokenVerifier>();

function verifierFor(auth: AuthConfig): TokenVerifier {
  let verifier = verifiers.get(auth);
  if (!verifier) {
    verifier = createTokenVerifier(auth);
    verifiers.set(auth, verifier);
  }
  return verifier;
}

/**
 * Mints an HS256 token with an expiry (and `iss`/`aud` when given); used by `npm run token` and tests.
 * @example await mintToken(secret, 'alice', 'buyer', '1h', { issuer, audience })
 */
export async function mintToken(
  secret: string,
  userId: string,
  role: Role,
  expiresIn = '12h',
  claims: { issuer?: string; audience?: string } = {},
): Promise<string> {
  const token = new SignJWT({ role })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(userId)
    .setIssuedAt()
    .setExpirationTime(expiresIn);
  if (claims.issuer) token.setIssuer(claims.issuer);
  if (claims.audience) token.setAudience(claims.audience);
  return token.sign(new TextEncoder().encode(secret));
}

/**
 * Requires a bearer token with one of `allowed` roles and puts the principal on the context.
 * @example app.post('/v1/events', requireRole(config.auth, 'organizer'), handler)
 */
export function requireRole(auth: AuthConfig, ...allowed: Role[]): MiddlewareHandler<AuthEnv> {
  const verifier = verifierFor(auth);
  return async function requireRoleMiddleware(c, next) {
    const header = c.req.header('authorization');
    const match = header?.match(/^Bearer\s+(\S+)$/i);
    if (!match?.[1]) throw new DomainError('UNAUTHORIZED', 'Authorization: Bearer <token> is required');
    const principal = await verifier.verify(match[1]).catch((error: unknown) => {
      if (error instanceof KeySourceUnavailable) {
        c.get('log')?.warn(
          { err: error.reason, jwksUrl: auth.jwksUrl },
          'identity provider keys unavailable',
        );
      }
      throw error;
    });
    if (!allowed.includes(principal.role)) {
      throw new DomainError('FORBIDDEN', `this action needs the ${allowed.join(' or ')} role`);
    }
    c.set('principal', principal);
    await next();
  };
}

/**
 * A route's role check, then the per-buyer rate limit of the verified principal (api/rate-limit.ts),
 * with the OpenAPI security that documents it, spread into `createRoute`.
 * @example createRoute({ method: 'post', path: '/v1/events', ...secured(config.auth, 'organizer'), ... })
 */
export function secured(auth: AuthConfig, ...allowed: Role[]) {
  // A tuple, not an array: the route's handler then knows the check put `principal` on the context.
  const middleware: [MiddlewareHandler<AuthEnv>, typeof limitByBuyer] = [
    requireRole(auth, ...allowed),
    limitByBuyer,
  ];
  return { security: [{ bearer: [] }], middleware };
}
