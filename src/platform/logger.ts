// Owns structured logging: one pino JSON logger per process, children carry request and workflow ids, and
// every line written inside a traced request, workflow or activity carries its trace_id and span_id (the
// names Temporal's interceptors give workflow log lines), so a line leads to its trace and back.
import { trace } from '@opentelemetry/api';
import { pino } from 'pino';

export type Logger = pino.Logger;

/** The active span's ids; nothing outside a trace (and always nothing while tracing is off). */
function traceFields(): { trace_id?: string; span_id?: string } {
  const span = trace.getActiveSpan()?.spanContext();
  return span ? { trace_id: span.traceId, span_id: span.spanId } : {};
}

/** `destination` is standard output unless given (a suite that reads the lines passes its own). */
export function createLogger(level: string, name: string, destination?: pino.DestinationStream): Logger {
  return pino(
    { name, level, base: { service: name }, timestamp: pino.stdTimeFunctions.isoTime, mixin: traceFields },
    destination,
  );
}
