// Owns bearer-token authentication (HS256 JWT, claims sub + role) and role checks for the API.
import type { MiddlewareHandler } from 'hono';
import { jwtVerify, SignJWT } from 'jose';
import { DomainError } from '../src/errors';

export const roles = ['buyer', 'organizer', 'support'] as const;
export type Role = (typeof roles)[number];

export interface Principal {
  userId: string;
  role: Role;
}

export type AuthVariables = { principal: Principal };

function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (roles as readonly string[]).includes(value);
}

export async function verifyToken(token: string, secret: Uint8Array): Promise<Principal> {
  try {
    const { payload } = await jwtVerify(token, secret, { algorithms: ['HS256'] });
    if (typeof payload.sub !== 'string' || payload.sub.length === 0 || payload.sub.length > 200) {
      throw new DomainError('UNAUTHORIZED', 'token has no valid sub claim');
    }
    if (!isRole(payload.role))
      throw new DomainError('UNAUTHORIZED', `token role must be one of ${roles.join(', ')}`);
    return { userId: payload.sub, role: payload.role };
  } catch (error) {
    if (error instanceof DomainError) throw error;
    throw new DomainError('UNAUTHORIZED', 'bearer token is invalid or expired');
  }
}

/** Mints a token; used by `npm run token` and tests. */
export async function mintToken(
  secret: string,
  userId: string,
  role: Role,
  expiresIn = '12h',
): Promise<string> {
  return new SignJWT({ role })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(userId)
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(new TextEncoder().encode(secret));
}

/**
 * Requires a bearer token with one of `allowed` roles and puts the principal on the context.
 * @example app.post('/v1/events', requireRole(secret, 'organizer'), handler)
 */
export function requireRole(
  secret: string,
  ...allowed: Role[]
): MiddlewareHandler<{ Variables: AuthVariables }> {
  const key = new TextEncoder().encode(secret);
  return async function requireRoleMiddleware(c, next) {
    const header = c.req.header('authorization');
    const match = header?.match(/^Bearer\s+(\S+)$/i);
    if (!match?.[1]) throw new DomainError('UNAUTHORIZED', 'Authorization: Bearer <token> is required');
    const principal = await verifyToken(match[1], key);
    if (!allowed.includes(principal.role)) {
      throw new DomainError('FORBIDDEN', `this action needs the ${allowed.join(' or ')} role`);
    }
    c.set('principal', principal);
    await next();
  };
}

/**
 * A route's role check with the OpenAPI security that documents it, spread into `createRoute`.
 * @example createRoute({ method: 'post', path: '/v1/events', ...secured(secret, 'organizer'), ... })
 */
export function secured(secret: string, ...allowed: Role[]) {
  // A tuple, not an array: the route's handler then knows the check put `principal` on the context.
  const middleware: [MiddlewareHandler<{ Variables: AuthVariables }>] = [requireRole(secret, ...allowed)];
  return { security: [{ bearer: [] }], middleware };
}
