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
//   AUTH_JWT_SECRET              required, >= 16 chars; HS256 secret for bearer tokens
//   TICKET_SIGNING_SECRET        (optional) secret for ticket codes; defaults to AUTH_JWT_SECRET
//   STRIPE_SECRET_KEY            required; sk_test_... or sk_live_...
//   STRIPE_API_URL               (optional) override of Stripe's API base URL (stripe-mock, fault fixture)
//   STRIPE_WEBHOOK_SECRET        (optional) whsec_... to verify webhooks; webhooks are refused without it
//   PAYMENT_RATE_LIMIT_PER_SECOND  20; global cap on payment activities, below Stripe's account limit
//   PAYMENT_WINDOW_SECONDS       300; how long a confirm may keep the seats held while paying
//   PAYMENT_ATTEMPT_TIMEOUT_SECONDS 30; workflow timer around one payment attempt
//   MAX_PAYMENT_ATTEMPTS         3; card attempts per reservation before it is released
//   API_WAIT_MS                  5000; how long the API waits on a hold or confirm before answering 202
//   PORT                         3000
//   LOG_LEVEL                    info (fatal|error|warn|info|debug|trace|silent)
import { z } from 'zod';

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

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
  AUTH_JWT_SECRET: z.string({ error: 'is required' }).min(16, 'must be at least 16 characters'),
  TICKET_SIGNING_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  STRIPE_SECRET_KEY: z
    .string({ error: 'is required' })
    .regex(/^(sk|rk)_(test|live)_\w+$/, 'must look like sk_test_... or sk_live_...'),
  STRIPE_API_URL: urlWithProtocol(['http:', 'https:']).optional(),
  STRIPE_WEBHOOK_SECRET: z.string().min(1).optional(),
  PAYMENT_RATE_LIMIT_PER_SECOND: z.coerce.number().positive().default(20),
  PAYMENT_WINDOW_SECONDS: positiveInt(300),
  PAYMENT_ATTEMPT_TIMEOUT_SECONDS: positiveInt(30),
  MAX_PAYMENT_ATTEMPTS: positiveInt(3),
  API_WAIT_MS: positiveInt(5000),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  LOG_LEVEL: z.enum(logLevels).default('info'),
});

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
  auth: { jwtSecret: string };
  ticketSigningSecret: string;
  stripe: { secretKey: string; apiUrl?: string; webhookSecret?: string };
  payments: {
    rateLimitPerSecond: number;
    windowSeconds: number;
    attemptTimeoutSeconds: number;
    maxAttempts: number;
  };
  apiWaitMs: number;
  port: number;
  logLevel: (typeof logLevels)[number];
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

/** Reads and validates the environment; throws one ConfigError naming every bad or missing variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty strings count as unset so `FOO=` in a shell or .env falls back to the default.
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`));
  }
  const e = parsed.data;
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
    auth: { jwtSecret: e.AUTH_JWT_SECRET },
    ticketSigningSecret: e.TICKET_SIGNING_SECRET ?? e.AUTH_JWT_SECRET,
    stripe: {
      secretKey: e.STRIPE_SECRET_KEY,
      apiUrl: e.STRIPE_API_URL,
      webhookSecret: e.STRIPE_WEBHOOK_SECRET,
    },
    payments: {
      rateLimitPerSecond: e.PAYMENT_RATE_LIMIT_PER_SECOND,
      windowSeconds: e.PAYMENT_WINDOW_SECONDS,
      attemptTimeoutSeconds: e.PAYMENT_ATTEMPT_TIMEOUT_SECONDS,
      maxAttempts: e.MAX_PAYMENT_ATTEMPTS,
    },
    apiWaitMs: e.API_WAIT_MS,
    port: e.PORT,
    logLevel: e.LOG_LEVEL,
  };
}
