// Owns the spans of our own calls out of the process: Postgres queries (a pg pool whose clients trace),
// Redis commands (ioredis's diagnostics channel) and Stripe requests (stripe-node's HTTP client), each a
// client span under whatever span is active. Built through the libraries' own extension points, never by
// patching modules as they load, so they trace the same under tsx, vitest and plain Node ESM.
import diagnosticsChannel from 'node:diagnostics_channel';
import { context, type Span, SpanKind, SpanStatusCode, type Tracer, trace } from '@opentelemetry/api';
import pg from 'pg';
import Stripe from 'stripe';

/** A span only joins a trace: a query or command outside any request or activity (startup, timers) has none. */
function inTrace(): boolean {
  return trace.getSpan(context.active()) !== undefined;
}

function endSpan(span: Span, error?: unknown): void {
  if (error) {
    span.recordException(error instanceof Error ? error : String(error));
    span.setStatus({
      code: SpanStatusCode.ERROR,
      message: error instanceof Error ? error.message : undefined,
    });
  }
  span.end();
}

/** The statement's leading keyword, the operation a span is named after (`SELECT`, `INSERT`, `BEGIN`). */
function operationOf(text: string | undefined): string {
  return (
    text
      ?.trimStart()
      .split(/[\s(;]/, 1)[0]
      ?.toUpperCase() || 'QUERY'
  );
}

type QueryArgs = unknown[];

/**
 * A pg Pool whose clients put each query in a span. pg-pool hands a waiting caller its client from
 * whichever caller released one, so a callback-style connect (what `pool.query` uses) is bound to the
 * caller's context: the query's span then has the caller's parent, not the releaser's.
 */
export function tracedPool(tracer: Tracer, options: pg.PoolConfig): pg.Pool {
  class TracedClient extends pg.Client {
    // biome-ignore lint/suspicious/noExplicitAny: pg's query has a dozen overloads; this forwards them all.
    override query(...args: any[]): any {
      const forward = (forwarded: QueryArgs) => Reflect.apply(super.query, this, forwarded);
      const [first] = args;
      // A Submittable (cursor, stream) reports through its own events; none of ours uses one.
      if (!inTrace() || typeof first?.submit === 'function') return forward(args);
      const text: string | undefined = typeof first === 'string' ? first : first?.text;
      const operation = operationOf(text);
      const span = tracer.startSpan(`${operation} ${this.database ?? ''}`.trim(), {
        kind: SpanKind.CLIENT,
        attributes: {
          'db.system.name': 'postgresql',
          'db.namespace': this.database,
          'db.operation.name': operation,
          'db.query.text': text,
          'server.address': this.host,
          'server.port': this.port,
        },
      });
      const callback = args.at(-1);
      if (typeof callback === 'function') {
        args[args.length - 1] = (error: unknown, result: unknown) => {
          endSpan(span, error);
          callback(error, result);
        };
        return forward(args);
      }
      const pending = forward(args) as Promise<unknown>;
      pending.then(
        () => endSpan(span),
        (error: unknown) => endSpan(span, error),
      );
      return pending;
    }
  }

  class TracedPool extends pg.Pool {
    // biome-ignore lint/suspicious/noExplicitAny: pg-pool's connect is overloaded (promise or callback).
    override connect(...args: any[]): any {
      const [callback] = args;
      if (typeof callback === 'function') return super.connect(context.bind(context.active(), callback));
      return super.connect();
    }
  }
  return new TracedPool({ ...options, Client: TracedClient });
}

interface RedisCommandContext {
  command: string;
  args: string[];
  database: number;
  serverAddress?: string;
  serverPort?: number;
  span?: Span;
  error?: unknown;
}

/**
 * Puts each Redis command in a span, from ioredis's `ioredis:command` tracing channel (ioredis 6 publishes
 * every command there, arguments already redacted of values). Process-wide; returns the unsubscribe.
 */
export function traceRedisCommands(tracer: Tracer): () => void {
  const channel = diagnosticsChannel.tracingChannel<string, RedisCommandContext>('ioredis:command');
  const handlers = {
    start(message: RedisCommandContext) {
      if (!inTrace()) return;
      message.span = tracer.startSpan(message.command.toUpperCase(), {
        kind: SpanKind.CLIENT,
        attributes: {
          'db.system.name': 'redis',
          'db.namespace': String(message.database),
          'db.operation.name': message.command.toUpperCase(),
          'db.query.text': [message.command, ...message.args].join(' '),
          'server.address': message.serverAddress,
          'server.port': message.serverPort,
        },
      });
    },
    end() {},
    asyncStart() {},
    asyncEnd(message: RedisCommandContext) {
      message.span?.end();
    },
    // A failed command's span ends here, with its error: a synchronous throw publishes no asyncEnd.
    error(message: RedisCommandContext) {
      if (message.span) endSpan(message.span, message.error);
      message.span = undefined;
    },
  };
  channel.subscribe(handlers);
  return () => channel.unsubscribe(handlers);
}

/**
 * Names a Stripe request without its object ids (`pi_3Nx...`: a short prefix, then a token with digits or
 * capitals, unlike a resource name such as `payment_intents`), so one kind of call is one span name.
 */
function stripeRoute(path: string): string {
  const [route = path] = path.split('?', 1);
  return route
    .split('/')
    .map((segment) => (/^[a-z]{2,8}_[a-z]*[A-Z0-9][A-Za-z0-9]*$/.test(segment) ? '{id}' : segment))
    .join('/');
}

/** stripe-node's Node HTTP client with each request in a span (method, route, status). */
export function tracedStripeHttpClient(tracer: Tracer): Stripe.HttpClient {
  const inner = Stripe.createNodeHttpClient();
  return {
    getClientName: () => inner.getClientName(),
    makeRequest(host, port, path, method, headers, requestData, protocol, timeout) {
      if (!inTrace())
        return inner.makeRequest(host, port, path, method, headers, requestData, protocol, timeout);
      const route = stripeRoute(path);
      return tracer.startActiveSpan(
        `stripe ${method} ${route}`,
        {
          kind: SpanKind.CLIENT,
          attributes: {
            'http.request.method': method,
            'url.template': route,
            'server.address': host,
            'server.port': Number(port),
          },
        },
        async (span) => {
          try {
            const response = await inner.makeRequest(
              host,
              port,
              path,
              method,
              headers,
              requestData,
              protocol,
              timeout,
            );
            const status = response.getStatusCode();
            span.setAttribute('http.response.status_code', status);
            if (status >= 400) span.setStatus({ code: SpanStatusCode.ERROR, message: `HTTP ${status}` });
            span.end();
            return response;
          } catch (error) {
            endSpan(span, error);
            throw error;
          }
        },
      );
    },
  };
}
