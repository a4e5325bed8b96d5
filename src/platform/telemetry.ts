// Owns tracing for a process: OpenTelemetry started from the OTEL_* configuration (off, costing nothing,
// without an endpoint), one per process like OpenTelemetry's own globals; what the Temporal client and the
// workers add to carry a trace through workflows and activities; and the tracer our clients' spans use.
//
// Start it first, before the clients are built: the pool, Redis and Stripe clients trace only when they
// are made while tracing is on (src/platform/traced-clients.ts).
//
// Temporal's interceptors are the OpenTelemetry 1.x package (@temporalio/interceptors-opentelemetry 1.24),
// not its -v2 sibling: that one has no 1.24 release (it pins the 1.23 SDK), and workflow histories recorded
// with one do not replay with the other, so the choice is made once. The SDK here is OpenTelemetry 1.30,
// the line that package is built on: the workflow spans its sink rebuilds are 1.x spans.
import { context, propagation, type Tracer, trace } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ClientInterceptors } from '@temporalio/client';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry/lib/client';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry/lib/worker';
import type { WorkerOptions } from '@temporalio/worker';
import type { Config } from './config';
import { traceRedisCommands } from './traced-clients';

export interface Telemetry {
  /** The tracer of Boxoffice's own spans (Postgres, Redis, Stripe calls). */
  readonly tracer: Tracer;
  /** Every ended span goes through it, the workflows' too (rebuilt by the worker's sink). */
  readonly spanProcessor: SpanProcessor;
  readonly resource: Resource;
  /** Sends what has ended so far. */
  flush(): Promise<void>;
  /** Sends what is left and stops tracing in this process. */
  shutdown(): Promise<void>;
}

let current: Telemetry | undefined;

/** This process's tracing, or undefined when it is off. */
export function activeTelemetry(): Telemetry | undefined {
  return current;
}

/** OTEL_EXPORTER_OTLP_ENDPOINT is the collector's base URL: traces go to its /v1/traces (the spec's rule). */
function tracesUrl(endpoint: string): string {
  return `${endpoint.replace(/\/+$/, '')}/v1/traces`;
}

/**
 * Starts tracing when the configuration names an endpoint: spans batched to it over OTLP/HTTP, the W3C
 * trace-context propagator, an AsyncLocalStorage context so spans nest across awaits, Redis commands
 * traced. Without an endpoint it does nothing and returns undefined.
 */
export async function startTelemetry(
  config: Config['telemetry'],
  defaultServiceName: string,
): Promise<Telemetry | undefined> {
  if (!config) return undefined;
  if (current) throw new Error('tracing is already started in this process');
  // Loaded only when on, so a process without tracing never loads the SDK.
  const [{ Resource }, { BatchSpanProcessor }, { NodeTracerProvider }, exporters] = await Promise.all([
    import('@opentelemetry/resources'),
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/sdk-trace-node'),
    config.protocol === 'http/json'
      ? import('@opentelemetry/exporter-trace-otlp-http')
      : import('@opentelemetry/exporter-trace-otlp-proto'),
  ]);
  const resource = new Resource({ 'service.name': config.serviceName ?? defaultServiceName });
  const spanProcessor = new BatchSpanProcessor(
    new exporters.OTLPTraceExporter({ url: tracesUrl(config.endpoint) }),
  );
  const provider = new NodeTracerProvider({ resource, spanProcessors: [spanProcessor] });
  provider.register();
  const tracer = provider.getTracer('boxoffice');
  const stopRedisTracing = traceRedisCommands(tracer);
  const telemetry: Telemetry = {
    tracer,
    spanProcessor,
    resource,
    flush: () => provider.forceFlush(),
    async shutdown() {
      stopRedisTracing();
      await provider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
      current = undefined;
    },
  };
  current = telemetry;
  return telemetry;
}

/** The Temporal client's interceptors: each start, update, signal and query carries the caller's trace. */
export function temporalClientInterceptors(): ClientInterceptors | undefined {
  return current ? { workflow: [new OpenTelemetryWorkflowClientInterceptor()] } : undefined;
}

/**
 * What a worker adds to its options: activity spans under the span that scheduled them, and the sink that
 * exports the spans workflows make in their sandbox (workflows/tracing.ts, bundled with them). The sink is
 * there, dropping them, even when this worker does not trace: a workflow started by a tracing API makes
 * spans all the same.
 */
export function workerTracing(): Pick<WorkerOptions, 'interceptors' | 'sinks'> {
  if (!current) return { sinks: { exporter: { export: { fn: () => {} } } } };
  return {
    interceptors: {
      activity: [
        (ctx) => ({
          inbound: new OpenTelemetryActivityInboundInterceptor(ctx),
          outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
        }),
      ],
    },
    sinks: { exporter: makeWorkflowExporter(current.spanProcessor, current.resource) },
  };
}
