// Owns `npm run dev`'s environment: the development values it fills in under whatever the environment
// gives, in one place, so the commands meant to run beside the dev stack (finance:reconcile, token, seed,
// db:migrate) reach the same database, Temporal and Stripe fixture with the same secrets as its worker
// and API. With NODE_ENV=production those commands get nothing filled in: there the environment is the
// configuration.
import { devSecrets, loadConfig } from '../../src/platform/config';

/** Port of the Stripe fault fixture that `npm run dev` starts in front of stripe-mock. */
export const stripeFixturePort = 12112;

/**
 * What the worker and the API need that has no default in src/platform/config.ts; any given value wins.
 * The secret is the public development one, which the config refuses in production or with a live key.
 */
export const devDefaults = {
  AUTH_JWT_SECRET: devSecrets.AUTH_JWT_SECRET,
  STRIPE_SECRET_KEY: 'sk_test_boxoffice',
} as const;

/** The variables that are set: empty values count as unset, as in src/platform/config.ts. */
export function givenVariables(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => Boolean(entry[1])),
  );
}

/**
 * The dev stack's environment: `given` over the development defaults. Without a STRIPE_API_URL, Stripe
 * is the local fault fixture (and its webhooks are signed with the development secret); tokens from an
 * identity provider (AUTH_JWKS_URL) replace the secret, as the config accepts only one of the two.
 */
export function devEnvironment(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const given = givenVariables(env);
  const devEnv: NodeJS.ProcessEnv = { ...devDefaults, ...given };
  if (given.AUTH_JWKS_URL) delete devEnv.AUTH_JWT_SECRET;
  if (!given.STRIPE_API_URL) {
    devEnv.STRIPE_API_URL = `http://127.0.0.1:${stripeFixturePort}`;
    devEnv.STRIPE_WEBHOOK_SECRET ??= devSecrets.STRIPE_WEBHOOK_SECRET;
  }
  return devEnv;
}

/** The environment of a command run beside the dev stack: the dev stack's, unless NODE_ENV=production. */
export function besideDevStack(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return env.NODE_ENV === 'production' ? givenVariables(env) : devEnvironment(env);
}

/**
 * DATABASE_URL as the config reads and checks it (the dev stack's database unless given), for the
 * commands that need nothing else (db:migrate, seed), here and in docker-compose's migrate job: what the
 * config requires besides is a placeholder, as they verify no token and charge nobody.
 */
export function databaseUrlOnly(env: NodeJS.ProcessEnv = process.env): string {
  return loadConfig({
    DATABASE_URL: env.DATABASE_URL,
    AUTH_JWT_SECRET: 'a-command-that-verifies-no-tokens',
    STRIPE_SECRET_KEY: 'sk_test_a_command_that_charges_nothing',
  }).databaseUrl;
}
