// Owns the process configuration: every environment variable Boxoffice reads, validated once at start.
//
// Variables (defaults work on a developer machine):
//   DATABASE_URL                 postgres://postgres@127.0.0.1:5432/boxoffice
//   REDIS_URL                    redis://127.0.0.1:6379
//   TEMPORAL_ADDRESS             127.0.0.1:7233
//   TEMPORAL_NAMESPACE           default
//   TEMPORAL_TASK_QUEUE          boxoffice
//   TEMPORAL_PAYMENT_TASK_QUEUE  boxoffice-payments (payment activities, globally rate limited)
//   TEMPORAL_API_KEY             (optional) API key for Temporal Cloud; implies TLS
//   TEMPORAL_TLS                 (optional) "true" to dial Temporal over TLS
//   NODE_ENV                     (optional) "production" refuses the public development secrets below,
//                                turns off the pages' dev sign-in and serves their prebuilt bundle
//   AUTH_JWT_SECRET              >= 16 chars; HS256 secret for bearer tokens (this or AUTH_JWKS_URL)
//   AUTH_JWKS_URL                an identity provider's JWKS (RS256/EdDSA tokens) instead of AUTH_JWT_SECRET
//   AUTH_JWT_ISSUER              checked against `iss` when set; required with AUTH_JWKS_URL
//   AUTH_JWT_AUDIENCE            checked against `aud` when set; required with AUTH_JWKS_URL
//   TICKET_SIGNING_SECRET        >= 16 chars, not AUTH_JWT_SECRET; signs ticket codes (dev default)
//   STRIPE_SECRET_KEY            required; sk_test_... or sk_live_...
//   STRIPE_API_URL               (optional) override of Stripe's API base URL (stripe-mock, fault fixture)
//   STRIPE_WEBHOOK_SECRET        (optional) whsec_... to verify webhooks; webhooks are refused without it
//   WAITING_ROOM_KEYS            kid:secret[,kid:secret...]; signs queue and admission tokens (first signs, all
//                                verify: rotate by putting the new key first); secrets >= 16 chars (dev default)
//   WAITING_ROOM_SAMPLE_RATE     0.1; share of queue joins and admission attempts recorded for later analysis
//   PAYMENT_RATE_LIMIT_PER_SECOND  20; global cap on payment activities, below Stripe's account limit
//   PAYMENT_WINDOW_SECONDS       300; how long a confirm may keep the seats held while paying
//   PAYMENT_ATTEMPT_TIMEOUT_SECONDS 30; workflow timer around one payment attempt
//   MAX_PAYMENT_ATTEMPTS         3; card attempts per reservation before it is released
//   HOLD_GRACE_SECONDS           120; a held seat whose lease (held_until) lapsed longer ago is back on sale
//   API_WAIT_MS                  5000; how long the API waits on a hold or confirm before answering 202
//   LIVE_MAX_SUBSCRIBERS         5000; live streams (seat map and sales) one API process serves at once
//   LIVE_HEARTBEAT_SECONDS       15; a comment line on every live stream this often, so proxies keep it open
//   LIVE_REPLAY_LOG              1000; transitions per event kept for clients resuming with Last-Event-ID
//   LIVE_PUSH_INTERVAL_MS        1000; the shortest time between two availability or sales pushes of an event
//   PORT                         3000
//   WORKER_METRICS_PORT          9464; the worker's /metrics (Boxoffice's and the Temporal SDK's); 0 = any free port
//   METRICS_ENABLED              true; "false" turns every metric off: no /metrics on the API or the worker
//   LOG_LEVEL                    info (fatal|error|warn|info|debug|trace|silent)
//   OTEL_EXPORTER_OTLP_ENDPOINT  (optional) OTLP/HTTP base URL of a trace collector; no traces without it
//   OTEL_EXPORTER_OTLP_PROTOCOL  http/protobuf (or http/json): how spans reach that endpoint
//   OTEL_SERVICE_NAME            (optional) service name on every span; boxoffice-api / boxoffice-worker
//   RATE_LIMIT_<CLASS>_PER_BUYER / RATE_LIMIT_<CLASS>_PER_IP  requests per window, as <n>/<window> with
//                                a window in s, m or h (30/10s, 60/1m); a bearer token's subject is the
//                                buyer, the client IP is an IPv4 address or an IPv6 /64. Classes, per buyer
//                                and per IP: HOLDS (POST .../reservations) 30/10s, 300/10s; CONFIRMS
//                                (POST .../confirm, card testing) 30/1m, 120/1m; QUEUE (the waiting room,
//                                /v1/events/{id}/queue*) 30/10s, 300/10s; WRITES (every other POST, PATCH,
//                                DELETE) 30/10s, 300/10s; READS (GET) 200/10s, 1000/10s. Stripe's webhook
//                                (signed) and GET /healthz, /metrics (probes, scrapes) are not limited.
//   RATE_LIMIT_IP_ALLOWLIST      addresses/CIDRs exempt from the per-IP limits (never the per-buyer ones),
//                                comma-separated, or "none"; loopback (127.0.0.0/8, ::1) unless NODE_ENV=production
//   TRUSTED_PROXIES              addresses/CIDRs of the proxies in front of the API, comma-separated; only a
//                                request from one of them has its X-Forwarded-For read (right to left, up to
//                                the first address not in this list). Default: none, the peer is the client
import { isIP } from 'node:net';
import { z } from 'zod';

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** How spans travel to OTEL_EXPORTER_OTLP_ENDPOINT: OTLP over HTTP, as protobuf (the default) or JSON. */
const otlpProtocols = ['http/protobuf', 'http/json'] as const;
export type OtlpProtocol = (typeof otlpProtocols)[number];

const urlWithProtocol = (protocols: string[]) =>
  z.string().refine(
    (value) => {
      try {
        return protocols.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    },
    { message: `must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}` },
  );

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/** The classes of endpoint that are limited apart (api/rate-limit.ts says which route is which). */
export const limitClasses = ['holds', 'confirms', 'queue', 'writes', 'reads'] as const;
export type LimitClass = (typeof limitClasses)[number];

/** A quota: `points` requests per `windowSeconds`. */
export interface Limit {
  points: number;
  windowSeconds: number;
}

const windowUnits: Record<string, number> = { s: 1, m: 60, h: 3600 };

/** `<n>/<window>` with the window in s, m or h: at most a day, so a key never outlives a day in Redis. */
const limit = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((value, context): Limit => {
      const match = /^(\d{1,9})\/(\d{1,5})(s|m|h)$/.exec(value.trim());
      const points = Number(match?.[1]);
      const windowSeconds = Number(match?.[2]) * (windowUnits[match?.[3] ?? ''] ?? Number.NaN);
      if (!match || points < 1 || !(windowSeconds >= 1 && windowSeconds <= 86_400)) {
        context.addIssue({
          code: 'custom',
          message:
            'must be <requests>/<window>, e.g. 30/10s or 60/1m (at least 1 request, a window of 1s to 24h)',
        });
        return z.NEVER;
      }
      return { points, windowSeconds };
    });

/** Both limits of each class: the env variable names are RATE_LIMIT_<CLASS>_PER_BUYER and _PER_IP. */
const limitDefaults: Record<LimitClass, { perBuyer: string; perIp: string }> = {
  holds: { perBuyer: '30/10s', perIp: '300/10s' },
  // A card tester runs through stolen cards; a real buyer pays a few times at most (MAX_PAYMENT_ATTEMPTS).
  // A paying buyer retries while payments are at their limit (503 + Retry-After) or still running (202):
  // in a rush that is a dozen confirms a minute from one honest buyer. Card testing is many more.
  confirms: { perBuyer: '30/1m', perIp: '120/1m' },
  queue: { perBuyer: '30/10s', perIp: '300/10s' },
  writes: { perBuyer: '30/10s', perIp: '300/10s' },
  // A seat map is read a page (1000 seats) at a time; one address may be a carrier's NAT of many buyers.
  reads: { perBuyer: '200/10s', perIp: '1000/10s' },
};

type LimitScope = 'BUYER' | 'IP';
type LimitVariable = `RATE_LIMIT_${Uppercase<LimitClass>}_PER_${LimitScope}`;

const limitVariable = (limitClass: LimitClass, scope: LimitScope): LimitVariable =>
  `RATE_LIMIT_${limitClass.toUpperCase() as Uppercase<LimitClass>}_PER_${scope}`;

const limitVariables = Object.fromEntries(
  limitClasses.flatMap((limitClass) => [
    [limitVariable(limitClass, 'BUYER'), limit(limitDefaults[limitClass].perBuyer)],
    [limitVariable(limitClass, 'IP'), limit(limitDefaults[limitClass].perIp)],
  ]),
) as Record<LimitVariable, ReturnType<typeof limit>>;

/** A comma-separated list of IPv4/IPv6 addresses and CIDRs (or "none"), each checked. */
const addressList = z.string().transform((value, context): string[] => {
  if (value.trim() === 'none') return [];
  const entries = value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  for (const entry of entries) {
    if (!isAddressOrCidr(entry)) {
      context.addIssue({
        code: 'custom',
        message: `${JSON.stringify(entry)} is not an IP address or CIDR (list them comma-separated: 10.0.0.0/8, ::1)`,
      });
    }
  }
  return entries;
});

function isAddressOrCidr(entry: string): boolean {
  const [address = '', prefix, extra] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || extra !== undefined) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

/** Loopback, exempt from the per-IP limits outside production: a load test from one machine. */
export const developmentAllowlist = ['127.0.0.0/8', '::1'];

/**
 * The public development values (`npm run dev`, the tests' defaults): anyone can read them here, so
 * they are refused with NODE_ENV=production or a live Stripe key.
 */
export const devSecrets = {
  AUTH_JWT_SECRET: 'dev-secret-change-me-please',
  TICKET_SIGNING_SECRET: 'dev-ticket-secret-change-me-please',
  STRIPE_WEBHOOK_SECRET: 'whsec_boxoffice_dev',
  WAITING_ROOM_KEYS: 'dev:dev-waiting-room-secret-change-me',
} as const;

/** `kid:secret,kid:secret`: ids unique and free of `.`, since a token is `kid.payload.signature`. */
const waitingRoomKeys = z.string().transform((value, ctx) => {
  const keys = value.split(',').map((entry) => {
    const at = entry.indexOf(':');
    return { id: entry.slice(0, at).trim(), secret: entry.slice(at + 1) };
  });
  for (const key of keys) {
    if (!/^[A-Za-z0-9_-]{1,32}$/.test(key.id)) {
      ctx.addIssue({
        code: 'custom',
        message: 'each key must be kid:secret with a kid of 1-32 letters, digits, _ or -',
      });
      return z.NEVER;
    }
    if (key.secret.length < 16) {
      ctx.addIssue({ code: 'custom', message: `the secret of key ${key.id} must be at least 16 characters` });
      return z.NEVER;
    }
  }
  if (new Set(keys.map((key) => key.id)).size !== keys.length) {
    ctx.addIssue({ code: 'custom', message: 'key ids must be unique' });
    return z.NEVER;
  }
  return keys;
});

/** How long past its lease a held seat stays off sale when no workflow releases it (HOLD_GRACE_SECONDS). */
export const defaultHoldGraceSeconds = 120;

const envSchema = z.object({
  DATABASE_URL: urlWithProtocol(['postgres:', 'postgresql:']).default(
    'postgres://postgres@127.0.0.1:5432/boxoffice',
  ),
  REDIS_URL: urlWithProtocol(['redis:', 'rediss:']).default('redis://127.0.0.1:6379'),
  TEMPORAL_ADDRESS: z
    .string()
    .regex(/^[^\s:]+:\d{1,5}$/, 'must be host:port')
    .default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('boxoffice'),
  TEMPORAL_PAYMENT_TASK_QUEUE: z.string().min(1).default('boxoffice-payments'),
  TEMPORAL_API_KEY: z.string().min(1).optional(),
  TEMPORAL_TLS: z.enum(['true', 'false']).optional(),
  NODE_ENV: z.string().optional(),
  // Whether one of AUTH_JWT_SECRET and AUTH_JWKS_URL is given is checked with the other keys below.
  AUTH_JWT_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  AUTH_JWKS_URL: urlWithProtocol(['https:', 'http:']).optional(),
  AUTH_JWT_ISSUER: z.string().min(1).optional(),
  AUTH_JWT_AUDIENCE: z.string().min(1).optional(),
  TICKET_SIGNING_SECRET: z
    .string()
    .min(16, 'must be at least 16 characters')
    .default(devSecrets.TICKET_SIGNING_SECRET),
  STRIPE_SECRET_KEY: z
    .string({ error: 'is required' })
    .regex(/^(sk|rk)_(test|live)_\w+$/, 'must look like sk_test_... or sk_live_...'),
  STRIPE_API_URL: urlWithProtocol(['http:', 'https:']).optional(),
  STRIPE_WEBHOOK_SECRET: z.string().min(1).optional(),
  WAITING_ROOM_KEYS: waitingRoomKeys.prefault(devSecrets.WAITING_ROOM_KEYS),
  WAITING_ROOM_SAMPLE_RATE: z.coerce.number().min(0).max(1).default(0.1),
  PAYMENT_RATE_LIMIT_PER_SECOND: z.coerce.number().positive().default(20),
  PAYMENT_WINDOW_SECONDS: positiveInt(300),
  PAYMENT_ATTEMPT_TIMEOUT_SECONDS: positiveInt(30),
  MAX_PAYMENT_ATTEMPTS: positiveInt(3),
  HOLD_GRACE_SECONDS: z.coerce
    .number()
    .int()
    .min(0)
    .max(86_400, 'must be at most 86400 (a day)')
    .default(defaultHoldGraceSeconds),
  API_WAIT_MS: positiveInt(5000),
  LIVE_MAX_SUBSCRIBERS: z.coerce.number().int().min(1).max(1_000_000).default(5000),
  LIVE_HEARTBEAT_SECONDS: z.coerce.number().int().min(1).max(3600).default(15),
  LIVE_REPLAY_LOG: z.coerce.number().int().min(1).max(1_000_000).default(1000),
  LIVE_PUSH_INTERVAL_MS: z.coerce.number().int().min(10).max(60_000).default(1000),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  WORKER_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9464),
  METRICS_ENABLED: z.enum(['true', 'false'], { error: 'must be true or false' }).default('true'),
  LOG_LEVEL: z.enum(logLevels).default('info'),
  OTEL_EXPORTER_OTLP_ENDPOINT: urlWithProtocol(['http:', 'https:']).optional(),
  OTEL_EXPORTER_OTLP_PROTOCOL: z
    .enum(otlpProtocols, { error: 'must be http/protobuf or http/json (OTLP over gRPC is not supported)' })
    .default('http/protobuf'),
  OTEL_SERVICE_NAME: z.string().min(1).optional(),
  ...limitVariables,
  RATE_LIMIT_IP_ALLOWLIST: addressList.optional(),
  TRUSTED_PROXIES: addressList.default([]),
});

/**
 * Where bearer tokens' keys come from: a shared HS256 secret, or an identity provider's published keys.
 * `iss` and `aud` are checked when given (always given with a JWKS).
 */
export type AuthConfig = { issuer?: string; audience?: string } & (
  | { jwtSecret: string; jwksUrl?: undefined }
  | { jwtSecret?: undefined; jwksUrl: string }
);

/** The live streams (SSE) of the seat map and of sales. */
export interface LiveConfig {
  /** Streams one API process serves at once; one more is refused with 503 and Retry-After. */
  maxSubscribers: number;
  heartbeatSeconds: number;
  /** Transitions per event kept for resuming clients; a client that missed more gets a snapshot. */
  replayLog: number;
  /** At most one availability push and one sales push per event in this many milliseconds. */
  pushIntervalMs: number;
}

export interface Config {
  databaseUrl: string;
  redisUrl: string;
  temporal: {
    address: string;
    namespace: string;
    taskQueue: string;
    paymentTaskQueue: string;
    apiKey?: string;
    tls: boolean;
  };
  auth: AuthConfig;
  /** Signs ticket codes; never the bearer-token secret, so neither key can stand in for the other. */
  ticketSigningSecret: string;
  /** NODE_ENV=production: the web pages serve their prebuilt bundle (web/dist) instead of building it. */
  production: boolean;
  /**
   * The web pages' sign-in form may mint tokens (POST /dev/sign-in): only in development (not with
   * NODE_ENV=production or a live Stripe key) and with AUTH_JWT_SECRET (not an identity provider's keys).
   */
  devSignIn: boolean;
  stripe: { secretKey: string; apiUrl?: string; webhookSecret?: string };
  waitingRoom: {
    /** Signs queue and admission tokens: the first key signs, every key verifies. */
    keys: { id: string; secret: string }[];
    /** Share of joins and attempts kept as samples for abuse analysis. */
    sampleRate: number;
  };
  payments: {
    rateLimitPerSecond: number;
    windowSeconds: number;
    attemptTimeoutSeconds: number;
    maxAttempts: number;
  };
  /**
   * Seconds past its lease (held_until) after which a held seat is available again: the backstop for a
   * checkout whose workflow vanished (terminated, lost) and will never release it.
   */
  holdGraceSeconds: number;
  apiWaitMs: number;
  live: LiveConfig;
  port: number;
  /** Where the worker serves /metrics for Prometheus. */
  workerMetricsPort: number;
  /**
   * Metrics on (the default): the API's /metrics and request timing, the worker's on WORKER_METRICS_PORT
   * with the Temporal SDK's. Off: none of it is collected or served (to measure what it costs).
   */
  metricsEnabled: boolean;
  logLevel: (typeof logLevels)[number];
  /** OpenTelemetry traces (src/platform/telemetry.ts): undefined, so off, without an OTLP endpoint. */
  telemetry?: { endpoint: string; protocol: OtlpProtocol; serviceName?: string };
  rateLimits: {
    /** Each class's quota per buyer (the bearer token's subject) and per client IP. */
    limits: Record<LimitClass, { perBuyer: Limit; perIp: Limit }>;
    /** Addresses and CIDRs exempt from the per-IP limits. */
    ipAllowlist: string[];
    /** Proxies whose X-Forwarded-For is believed. */
    trustedProxies: string[];
  };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

/** Exactly one source of token keys, and with an identity provider the claims that tell its tokens apart. */
function authProblems(env: Record<string, string | undefined>): string[] {
  const { AUTH_JWT_SECRET: secret, AUTH_JWKS_URL: jwksUrl, TICKET_SIGNING_SECRET: ticketKey } = env;
  const problems: string[] = [];
  if (secret === undefined && jwksUrl === undefined) {
    problems.push('AUTH_JWT_SECRET is required (or AUTH_JWKS_URL for tokens from an identity provider)');
  }
  if (secret !== undefined && jwksUrl !== undefined) {
    problems.push(
      'set only one of AUTH_JWT_SECRET and AUTH_JWKS_URL (a shared secret or an identity provider)',
    );
  }
  if (jwksUrl !== undefined) {
    // An identity provider signs tokens for many applications: without both checks any of them would pass.
    for (const name of ['AUTH_JWT_ISSUER', 'AUTH_JWT_AUDIENCE']) {
      if (env[name] === undefined) problems.push(`${name} is required with AUTH_JWKS_URL`);
    }
  }
  if (secret !== undefined && ticketKey === secret) {
    problems.push('TICKET_SIGNING_SECRET must differ from AUTH_JWT_SECRET');
  }
  return problems;
}

/** Why real money or real users are at stake (production, a live Stripe key), or undefined in development. */
function realStakes(env: Record<string, string | undefined>): string | undefined {
  if (env.NODE_ENV === 'production') return 'NODE_ENV=production';
  if (/^(sk|rk)_live_/.test(env.STRIPE_SECRET_KEY ?? '')) return 'a live Stripe key';
  return undefined;
}

/** The public development values, refused where real money or real users are at stake. */
function devSecretProblems(env: Record<string, string | undefined>): string[] {
  const why = realStakes(env);
  if (!why) return [];
  const problems = Object.entries(devSecrets)
    .filter(([name, value]) => env[name] === value)
    .map(
      ([name]) => `${name} is the public development value, refused with ${why}: set a secret of your own`,
    );
  for (const name of ['TICKET_SIGNING_SECRET', 'WAITING_ROOM_KEYS']) {
    if (env[name] === undefined) {
      problems.push(`${name} is required with ${why} (its default is the public development value)`);
    }
  }
  return problems;
}

/** Reads and validates the environment; throws one ConfigError naming every bad or missing variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty strings count as unset so `FOO=` in a shell or .env falls back to the default.
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const parsed = envSchema.safeParse(present);
  // Checks across variables read the raw values, so they are reported even when another variable is bad.
  const problems = [
    ...(parsed.success ? [] : parsed.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`)),
    ...authProblems(present),
    ...devSecretProblems(present),
  ];
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
  const e = parsed.data;
  const claims = { issuer: e.AUTH_JWT_ISSUER, audience: e.AUTH_JWT_AUDIENCE };
  return {
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    temporal: {
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      taskQueue: e.TEMPORAL_TASK_QUEUE,
      paymentTaskQueue: e.TEMPORAL_PAYMENT_TASK_QUEUE,
      apiKey: e.TEMPORAL_API_KEY,
      tls: e.TEMPORAL_TLS === 'true' || e.TEMPORAL_API_KEY !== undefined,
    },
    auth: e.AUTH_JWKS_URL
      ? { jwksUrl: e.AUTH_JWKS_URL, ...claims }
      : // authProblems has refused a configuration with neither.
        { jwtSecret: e.AUTH_JWT_SECRET as string, ...claims },
    ticketSigningSecret: e.TICKET_SIGNING_SECRET,
    production: e.NODE_ENV === 'production',
    // Minting any role's token for anyone is for a laptop only, and needs the shared secret to sign with.
    devSignIn: realStakes(present) === undefined && e.AUTH_JWKS_URL === undefined,
    stripe: {
      secretKey: e.STRIPE_SECRET_KEY,
      apiUrl: e.STRIPE_API_URL,
      webhookSecret: e.STRIPE_WEBHOOK_SECRET,
    },
    waitingRoom: {
      keys: e.WAITING_ROOM_KEYS,
      sampleRate: e.WAITING_ROOM_SAMPLE_RATE,
    },
    payments: {
      rateLimitPerSecond: e.PAYMENT_RATE_LIMIT_PER_SECOND,
      windowSeconds: e.PAYMENT_WINDOW_SECONDS,
      attemptTimeoutSeconds: e.PAYMENT_ATTEMPT_TIMEOUT_SECONDS,
      maxAttempts: e.MAX_PAYMENT_ATTEMPTS,
    },
    holdGraceSeconds: e.HOLD_GRACE_SECONDS,
    apiWaitMs: e.API_WAIT_MS,
    live: {
      maxSubscribers: e.LIVE_MAX_SUBSCRIBERS,
      heartbeatSeconds: e.LIVE_HEARTBEAT_SECONDS,
      replayLog: e.LIVE_REPLAY_LOG,
      pushIntervalMs: e.LIVE_PUSH_INTERVAL_MS,
    },
    port: e.PORT,
    workerMetricsPort: e.WORKER_METRICS_PORT,
    metricsEnabled: e.METRICS_ENABLED === 'true',
    logLevel: e.LOG_LEVEL,
    telemetry: e.OTEL_EXPORTER_OTLP_ENDPOINT
      ? {
          endpoint: e.OTEL_EXPORTER_OTLP_ENDPOINT,
          protocol: e.OTEL_EXPORTER_OTLP_PROTOCOL,
          serviceName: e.OTEL_SERVICE_NAME,
        }
      : undefined,
    rateLimits: {
      limits: Object.fromEntries(
        limitClasses.map((limitClass) => [
          limitClass,
          {
            perBuyer: e[limitVariable(limitClass, 'BUYER')],
            perIp: e[limitVariable(limitClass, 'IP')],
          },
        ]),
      ) as Record<LimitClass, { perBuyer: Limit; perIp: Limit }>,
      ipAllowlist: e.RATE_LIMIT_IP_ALLOWLIST ?? (e.NODE_ENV === 'production' ? [] : developmentAllowlist),
      trustedProxies: e.TRUSTED_PROXIES,
    },
  };
}
