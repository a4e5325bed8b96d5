// Owns liveness and readiness: /readyz answers 200 only when Postgres, Redis and Temporal all answer,
// and names what is down; why (the driver's error) goes to the log, never to the caller.
import { OpenAPIHono, z } from '@hono/zod-openapi';
import { DomainError } from '../../src/errors';
import type { AppEnv, RouteDeps } from '../env';
import { json } from '../schemas/http';
import { problems } from '../schemas/problem';
import { routesOf } from './route';

const route = routesOf('health');

const ReadinessSchema = z
  .object({
    status: z.enum(['ok', 'unavailable']),
    checks: z.record(z.string(), z.object({ ok: z.boolean() })),
  })
  .openapi('Readiness');

const checkTimeoutMs = 2000;

/** Whether `probe` answers in time; the error when it does not, for the log. */
async function check(probe: () => Promise<unknown>): Promise<{ ok: boolean; error?: unknown }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${checkTimeoutMs} ms`)), checkTimeoutMs);
  });
  try {
    await Promise.race([probe(), timeout]);
    return { ok: true };
  } catch (error) {
    return { ok: false, error };
  } finally {
    clearTimeout(timer);
  }
}

export function healthRoutes(deps: Pick<RouteDeps, 'pool' | 'redis' | 'temporal'>) {
  const app = new OpenAPIHono<AppEnv>();

  app.openapi(
    route('get', '/healthz', {
      summary: 'Liveness: the process is up',
      responses: { 200: json(z.object({ status: z.literal('ok') }), 'alive') },
    }),
    (c) => c.json({ status: 'ok' as const }, 200),
  );

  app.openapi(
    route('get', '/readyz', {
      summary: 'Readiness: Postgres, Redis and Temporal answer',
      responses: { 200: json(ReadinessSchema, 'ready'), ...problems({ 503: 'a dependency is down' }) },
    }),
    async (c) => {
      const [postgres, redis, temporal] = await Promise.all([
        check(() => deps.pool.query('select 1')),
        check(() => deps.redis.ping()),
        check(() => deps.temporal.workflowService.getSystemInfo({})),
      ]);
      const results = { postgres, redis, temporal };
      const down = Object.entries(results).filter(([, result]) => !result.ok);
      for (const [name, { error }] of down) c.get('log').warn({ err: error, dependency: name }, 'not ready');
      const checks = Object.fromEntries(Object.entries(results).map(([name, { ok }]) => [name, { ok }]));
      if (down.length === 0) return c.json({ status: 'ok' as const, checks }, 200);
      throw new DomainError(
        'SERVICE_UNAVAILABLE',
        `not ready: ${down.map(([name]) => name).join(', ')} ${down.length === 1 ? 'is' : 'are'} down`,
        {
          checks,
        },
      );
    },
  );
  return app;
}
