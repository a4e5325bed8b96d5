// Owns POST /dev/sign-in, the pages' development sign-in: a bearer token for the user and role asked
// for, signed with AUTH_JWT_SECRET like `npm run token`. Registered only when config.devSignIn allows it
// (never with NODE_ENV=production, a live Stripe key or an identity provider's keys).
import { OpenAPIHono, z } from '@hono/zod-openapi';
import { decodeJwt } from 'jose';
import type { AuthConfig } from '../../src/platform/config';
import { mintToken, roles } from '../auth';
import type { AppEnv } from '../env';
import { routesOf } from '../routes/route';
import { json, jsonBody } from '../schemas/http';
import { userId } from '../schemas/ids';
import { problems } from '../schemas/problem';

const route = routesOf('pages');

/** How long a page's development token lasts: a working day. */
const expiresIn = '12h';

const SignInSchema = z
  .object({
    // The API's user ids (visible ASCII), which the verifier's rule for `sub` accepts too.
    userId,
    role: z.enum(roles),
  })
  .strict()
  .openapi('DevSignIn');

const TokenSchema = z
  .object({ token: z.string(), expiresAt: z.string() })
  .openapi('DevToken', { description: 'A bearer token for the pages (and any client) to send.' });

export function devSignInRoutes(auth: AuthConfig & { jwtSecret: string }) {
  const app = new OpenAPIHono<AppEnv>();
  app.openapi(
    route('post', '/dev/sign-in', {
      summary: "Development only: mint a bearer token for a user and role (the pages' sign-in form)",
      description: 'Absent with NODE_ENV=production, a live Stripe key, or AUTH_JWKS_URL.',
      request: { body: jsonBody(SignInSchema) },
      responses: { 200: json(TokenSchema, 'the token'), ...problems({ 422: 'VALIDATION_FAILED' }) },
    }),
    async (c) => {
      const { userId, role } = c.req.valid('json');
      const token = await mintToken(auth.jwtSecret, userId, role, expiresIn, auth);
      const { exp } = decodeJwt(token);
      return c.json({ token, expiresAt: new Date((exp ?? 0) * 1000).toISOString() }, 200);
    },
  );
  return app;
}
