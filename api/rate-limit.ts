// Owns rate limiting (rate-limiter-flexible on Redis): every endpoint is limited per client IP before
// anything else reads the request and, once a bearer token is verified, per buyer (the token's subject),
// each class of endpoint (holds, confirms, the waiting room, other writes, reads) under its own quotas
// from src/platform/config.ts. Answers carry the IETF RateLimit-Policy and RateLimit fields
// (draft-ietf-httpapi-ratelimit-headers), a refusal is 429 RATE_LIMITED with Retry-After. With Redis down
// it fails open: Postgres still guards every invariant, and metrics say so.
import type { RouteConfig } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { Config, Limit, LimitClass } from '../src/platform/config';
import type { Logger } from '../src/platform/logger';
import type { Redis } from '../src/platform/redis';
import type { Principal } from './auth';
import {
  addressSet,
  type ClientAddressVariables,
  createClientAddress,
  inSet,
  limitKeyOf,
} from './client-address';
import type { ApiMetrics } from './metrics';
import { problem } from './problem';
import { problems } from './schemas/problem';

/**
 * The class of endpoint a request belongs to, from its method and path alone (the routes are matched
 * after this runs, and the OpenAPI document is described from the same answer); undefined when it is not
 * limited: Stripe's webhook (signed, and retried by Stripe), the liveness probe (it must answer without
 * Redis, or a slow Redis restarts every pod) and /metrics (Prometheus, within the cluster).
 */
export function limitClassOf(method: string, path: string): LimitClass | undefined {
  if (path.startsWith('/v1/webhooks/') || path === '/healthz' || path === '/metrics') return undefined;
  if (path.startsWith('/v1/events/')) {
    const afterId = path.indexOf('/', eventsPrefix.length);
    if (afterId > eventsPrefix.length) {
      const end = afterId + queueSegment.length;
      if (path.startsWith(queueSegment, afterId) && (path.length === end || path.charCodeAt(end) === 47)) {
        return 'queue';
      }
      if (method === 'POST' && path.length === afterId + holdsSegment.length && path.endsWith(holdsSegment)) {
        return 'holds';
      }
    }
  }
  if (
    method === 'POST' &&
    path.startsWith(reservationsPrefix) &&
    path.endsWith(confirmSegment) &&
    path.indexOf('/', reservationsPrefix.length) === path.length - confirmSegment.length
  ) {
    return 'confirms';
  }
  return method === 'GET' || method === 'HEAD' || method === 'OPTIONS' ? 'reads' : 'writes';
}

const eventsPrefix = '/v1/events/';
const reservationsPrefix = '/v1/reservations/';
const queueSegment = '/queue';
const holdsSegment = '/reservations';
const confirmSegment = '/confirm';

type Scope = 'ip' | 'buyer';

/**
 * One quota of one class for one scope, e.g. `buyer_holds`: 30 requests per 10 s per buyer, named so in
 * the RateLimit fields, in the `limit` label of boxoffice_rate_limited_total and in its 429s.
 */
interface Policy {
  /**
   * Counts one request of `key` and sets its RateLimit fields; the 429 RATE_LIMITED answer when it is over
   * the quota (answered here, not thrown: the refusal is the hot path of a flood, and needs no stack).
   */
  check(c: Context, key: string): Promise<Response | undefined>;
}

/** A class's two policies, found once per request by the per-IP middleware and kept on the context. */
export interface ClassLimits {
  ip: Policy;
  buyer: Policy;
}

/** What the per-buyer check (and `clientAddress`) reads from the request's context. */
export type RateLimitVariables = { rateLimits?: ClassLimits } & ClientAddressVariables;

export interface RateLimitDeps {
  config: Pick<Config, 'rateLimits'>;
  redis: Redis;
  log: Logger;
  metrics: Pick<ApiMetrics, 'rateLimited' | 'redisFailOpen'>;
}

const scopeNames: Record<Scope, string> = { ip: 'client IP', buyer: 'buyer' };

/** A whole number of seconds, at least 1: Retry-After and `t` are delay-seconds. */
const secondsOf = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

/**
 * The limits of `config.rateLimits`, counted in `redis`: `byAddress` runs app-wide, first of what reads
 * the request; the per-buyer half is `limitByBuyer`, which `secured` puts after the token check.
 * @example app.use(createRateLimits({ config, redis, log, metrics }).byAddress)
 */
export function createRateLimits({ config, redis, log, metrics }: RateLimitDeps) {
  const { limits, ipAllowlist, trustedProxies } = config.rateLimits;
  const clientAddress = createClientAddress(trustedProxies);
  const allowlist = addressSet(ipAllowlist);
  const failOpenLabels = { component: 'rate_limit' } as const;
  let failingOpen = false;

  function policy(scope: Scope, limitClass: LimitClass, { points, windowSeconds }: Limit): Policy {
    const name = `${scope}_${limitClass}`;
    const limiter = new RateLimiterRedis({
      storeClient: redis,
      keyPrefix: `ratelimit:${name}`,
      points,
      duration: windowSeconds,
      // A key over its quota is refused from memory until its window ends: an abuser's flood costs no
      // Redis round trip (each process learns it on its first refusal).
      inMemoryBlockOnConsumed: points + 1,
      // With Redis not connected, fail at once instead of waiting on a command that cannot be sent.
      rejectIfRedisNotReady: true,
    });
    // Computed once: a request only fills in its remaining quota and reset.
    const policyField = `"${name}";q=${points};w=${windowSeconds}`;
    const stateField = `"${name}";r=`;
    const labels = { limit: name };
    const refusal = `too many requests: at most ${points} per ${windowSeconds} s per ${scopeNames[scope]} to ${limitClass}`;

    function answer(c: Context, state: RateLimiterRes): number {
      const seconds = secondsOf(state.msBeforeNext);
      c.header('RateLimit-Policy', policyField, { append: true });
      c.header('RateLimit', `${stateField}${state.remainingPoints};t=${seconds}`, { append: true });
      return seconds;
    }

    return {
      async check(c, key) {
        let state: RateLimiterRes;
        try {
          state = await limiter.consume(key);
        } catch (error) {
          if (!(error instanceof RateLimiterRes)) {
            failOpen(error);
            return undefined;
          }
          metrics.rateLimited.inc(labels);
          const retryAfterSeconds = answer(c, error);
          c.header('Retry-After', String(retryAfterSeconds));
          return problem(c, 'RATE_LIMITED', `${refusal}; retry in ${retryAfterSeconds} s`, {
            limit: name,
            retryAfterSeconds,
          });
        }
        if (failingOpen) {
          failingOpen = false;
          log.info('Redis answers again: rate limits apply');
        }
        answer(c, state);
        return undefined;
      },
    };
  }

  function failOpen(error: unknown): void {
    metrics.redisFailOpen.inc(failOpenLabels);
    if (failingOpen) return;
    failingOpen = true;
    log.warn({ err: error }, 'Redis unavailable: rate limits fail open');
  }

  const classes = Object.fromEntries(
    (Object.entries(limits) as [LimitClass, { perBuyer: Limit; perIp: Limit }][]).map(
      ([limitClass, { perBuyer, perIp }]) => [
        limitClass,
        { ip: policy('ip', limitClass, perIp), buyer: policy('buyer', limitClass, perBuyer) },
      ],
    ),
  ) as Record<LimitClass, ClassLimits>;

  return {
    /** The per-IP limit of the request's class (none for an allowlisted address); app-wide. */
    byAddress: async function rateLimitByAddress(c, next) {
      const limitClass = limitClassOf(c.req.method, c.req.path);
      if (limitClass === undefined) return next();
      const limitsOfClass = classes[limitClass];
      c.set('rateLimits', limitsOfClass);
      const address = clientAddress(c);
      c.set('clientAddress', address);
      if (address === undefined || !inSet(allowlist, address)) {
        const refused = await limitsOfClass.ip.check(c, limitKeyOf(address));
        if (refused) return refused;
      }
      await next();
    } satisfies MiddlewareHandler<{ Variables: RateLimitVariables }>,
  };
}

/**
 * The per-buyer limit of the request's class, for the principal the token check before it has set; a
 * request the per-IP middleware did not classify (not limited) passes.
 * @example const middleware = [requireRole(auth, 'buyer'), limitByBuyer]
 */
export const limitByBuyer: MiddlewareHandler<{
  Variables: RateLimitVariables & { principal: Principal };
}> = async function rateLimitByBuyer(c, next) {
  const refused = await c.get('rateLimits')?.buyer.check(c, c.get('principal').userId);
  if (refused) return refused;
  await next();
};

const fieldHeader = (description: string) => ({ description, schema: { type: 'string' as const } });

/** The OpenAPI header components the limits' responses refer to (app.ts registers them). */
export const rateLimitHeaderComponents = {
  RateLimit: fieldHeader(
    'The quota left of each policy that applies (draft-ietf-httpapi-ratelimit-headers), e.g. ' +
      '`"ip_reads";r=994;t=7, "buyer_reads";r=190;t=7`: r requests remain, for t more seconds',
  ),
  'RateLimit-Policy': fieldHeader(
    'The policies that apply to this endpoint, e.g. `"ip_reads";q=1000;w=10, "buyer_reads";q=200;w=10`: ' +
      'q requests per w seconds, per client IP (`ip_`) and per bearer token subject (`buyer_`)',
  ),
  'Retry-After': {
    description: 'Seconds to wait before retrying',
    schema: { type: 'integer' as const, minimum: 1 },
  },
};

const headerRef = (name: keyof typeof rateLimitHeaderComponents) => ({
  $ref: `#/components/headers/${name}`,
});

type Responses = RouteConfig['responses'];

/**
 * A route's documented responses with what the limits add: the RateLimit fields on every answer and
 * a 429 RATE_LIMITED with Retry-After; unchanged for a route that is not limited.
 */
export function withRateLimitResponses<R extends Responses>(method: string, path: string, responses: R): R {
  if (limitClassOf(method.toUpperCase(), path) === undefined) return responses;
  const fields = { RateLimit: headerRef('RateLimit'), 'RateLimit-Policy': headerRef('RateLimit-Policy') };
  const documented: Responses = Object.fromEntries(
    Object.entries(responses).map(([status, response]) => [
      status,
      '$ref' in response ? response : { ...response, headers: { ...response.headers, ...fields } },
    ]),
  );
  // A route that refuses with 429 for reasons of its own (the waiting room's TOO_EARLY) keeps its words.
  const own = responses[429];
  const refused =
    own && !('$ref' in own)
      ? own
      : problems({
          429: 'RATE_LIMITED: over a rate limit of this endpoint (the problem names it in `limit`)',
        })[429];
  documented[429] = { ...refused, headers: { 'Retry-After': headerRef('Retry-After'), ...fields } };
  return documented as R;
}
