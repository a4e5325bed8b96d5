// Owns the API's side of tracing: a server span around each request (continuing the caller's
// `traceparent` when it sends one) and the request's trace context answered on every response, so a client
// or support can quote the trace that explains an answer. Nothing at all while the process does not trace.
import { httpInstrumentationMiddleware } from '@hono/otel';
import { trace } from '@opentelemetry/api';
import type { MiddlewareHandler } from 'hono';
import { activeTelemetry } from '../src/platform/telemetry';

/**
 * The response header naming the request's trace: W3C Trace Context's response header, in `traceparent`'s
 * format (`00-<trace id>-<span id of the request's span>-<flags>`).
 */
export const traceResponseHeader = 'traceresponse';

/**
 * Middleware to install first, so every other middleware, handler and log line runs inside the request's
 * span; none while tracing is off.
 *
 * @example for (const middleware of requestTracing()) app.use(middleware);
 */
export function requestTracing(): MiddlewareHandler[] {
  if (!activeTelemetry()) return [];
  return [
    httpInstrumentationMiddleware({ captureActiveRequests: false }),
    async function traceResponse(c, next) {
      const span = trace.getActiveSpan()?.spanContext();
      await next();
      if (span) {
        const flags = span.traceFlags.toString(16).padStart(2, '0');
        c.header(traceResponseHeader, `00-${span.traceId}-${span.spanId}-${flags}`);
      }
    },
  ];
}
