// `npm run token -- <userId> <buyer|organizer|support> [expiresIn]`: mints a dev bearer token (HS256, with
// an expiry, and the configured AUTH_JWT_ISSUER / AUTH_JWT_AUDIENCE) that the API accepts.
import { mintToken, type Role, roles } from '../api/auth';
import { type AuthConfig, ConfigError, loadConfig } from '../src/platform/config';
import { besideDevStack } from './lib/dev-env';

const [userId, role, expiresIn = '12h'] = process.argv.slice(2);
if (!userId || !roles.includes(role as Role)) {
  process.stderr.write(`usage: npm run token -- <userId> <${roles.join('|')}> [expiresIn, e.g. 12h]\n`);
  process.exit(2);
}

function fail(line: string): never {
  process.stderr.write(`token: ${line}\n`);
  process.exit(2);
}

// The same configuration the API reads, with `npm run dev`'s secret when none is given (none is filled in
// with NODE_ENV=production), so a token minted here is one the API would accept.
let auth: AuthConfig;
try {
  auth = loadConfig({ STRIPE_SECRET_KEY: 'sk_test_token_mints_no_payments', ...besideDevStack() }).auth;
} catch (error) {
  if (error instanceof ConfigError) fail(error.message);
  throw error;
}
if (auth.jwtSecret === undefined) {
  fail(
    'AUTH_JWKS_URL is set: tokens come from your identity provider; this mints HS256 development tokens only',
  );
}
const { issuer, audience } = auth;
process.stdout.write(
  `${await mintToken(auth.jwtSecret, userId, role as Role, expiresIn, { issuer, audience })}\n`,
);
