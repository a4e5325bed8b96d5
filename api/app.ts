// Owns the HTTP application: middleware order, route registration, OpenAPI document and the single
// place where thrown errors become problem+json responses.

import { swaggerUI } from '@hono/swagger-ui';
import { OpenAPIHono } from '@hono/zod-openapi';
import type { Client } from '@temporalio/client';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { requestId } from 'hono/request-id';
import type { Config } from '../src/config';
import type { Pool } from '../src/db';
import { DomainError } from '../src/errors';
import type { Logger } from '../src/logger';
import type { Redis } from '../src/redis';
import type { Stripe } from '../src/stripe';
import type { AuthVariables } from './auth';
import { domainProblem, problem } from './problem';
import { eventRoutes } from './routes/events';
import { healthRoutes } from './routes/health';
import { validationHook } from './validation';

export interface AppDeps {
  config: Config;
  pool: Pool;
  redis: Redis;
  temporal: Client;
  stripe: Stripe;
  log: Logger;
}

export type AppEnv = { Variables: AuthVariables & { log: Logger; requestId: string } };

export const maxBodyBytes = 256 * 1024;

export function createApp(deps: AppDeps) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  app.use(requestId({ headerName: 'x-request-id' }));
  app.use(async function requestLogging(c, next) {
    const log = deps.log.child({ requestId: c.get('requestId') });
    c.set('log', log);
    const started = performance.now();
    await next();
    log.info(
      {
        method: c.req.method,
        path: c.req.path,
        status: c.res.status,
        ms: Math.round(performance.now() - started),
      },
      'request',
    );
  });
  app.use(
    bodyLimit({
      maxSize: maxBodyBytes,
      onError: (c) =>
        problem(c, 413, 'PAYLOAD_TOO_LARGE', `request body must be at most ${maxBodyBytes} bytes`),
    }),
  );

  app.route('/', healthRoutes(deps));
  app.route('/', eventRoutes(deps));

  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'Boxoffice API',
      version: '1.0.0',
      description: 'Durable ticket checkout for flash sales. Errors are application/problem+json.',
    },
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
  });
  app.get('/docs', swaggerUI({ url: '/openapi.json' }));

  app.notFound((c) => problem(c, 404, 'NOT_FOUND', `no route for ${c.req.method} ${c.req.path}`));
  app.onError((error, c) => {
    if (error instanceof DomainError) return domainProblem(c, error);
    if (error instanceof HTTPException) {
      const status = error.status;
      if (status < 500)
        return problem(c, status, status === 400 ? 'VALIDATION_FAILED' : 'HTTP_ERROR', error.message);
    }
    (c.get('log') ?? deps.log).error({ err: error }, 'unhandled error');
    return problem(c, 500, 'INTERNAL', 'an internal error occurred; it has been logged');
  });
  return app;
}
