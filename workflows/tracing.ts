// Owns the workflows' side of tracing, bundled with them (workers/bundle.ts): Temporal's OpenTelemetry
// workflow interceptors, for what carries a trace only, drawing their span ids from random streams of
// their own. The run, its handlers and what it schedules become spans of the caller's trace; the
// activities' spans (worker side) hang under them.
//
// Why streams of their own: in the sandbox Math.random is the workflow's deterministic sequence, the one
// uuid4() reads too, and a span id takes sixteen draws from it. A span made in a query or an update
// validator, which a replay never runs again, would shift every later uuid4() between the first run and
// its replay (SDK issue #2023: a child workflow id that differs is a nondeterminism error). Drawn from
// named streams, tracing never moves that sequence: adding it, removing it, or answering a query changes
// nothing a workflow computes. Read-only handlers get a stream apart, so they do not shift the history's
// span ids either.
import { context, trace } from '@opentelemetry/api';
import {
  OpenTelemetryInboundInterceptor,
  OpenTelemetryInternalsInterceptor,
  OpenTelemetryOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry/lib/workflow';
import {
  getRandomStream,
  type WorkflowInboundCallsInterceptor,
  type WorkflowInterceptorsFactory,
  type WorkflowOutboundCallsInterceptor,
} from '@temporalio/workflow';

/** The header Temporal's OpenTelemetry client and workflow interceptors carry a trace in. */
const traceHeader = '_tracer-data';

/** Spans of what history replays: the same ids on every replay. */
const historyStream = 'boxoffice.tracing';
/** Spans of queries and update validators, which only ever run live. */
const readOnlyStream = 'boxoffice.tracing.read-only';

function carriesTrace(headers: Record<string, unknown>): boolean {
  return headers[traceHeader] !== undefined;
}

/** Inside a traced run or handler: what it schedules is traced too. */
function inTrace(): boolean {
  return trace.getSpan(context.active()) !== undefined;
}

export const interceptors: WorkflowInterceptorsFactory = () => {
  const inbound = new OpenTelemetryInboundInterceptor();
  const outbound = new OpenTelemetryOutboundInterceptor();
  const history = <T>(fn: () => T): T => getRandomStream(historyStream).with(fn);
  const readOnly = <T>(fn: () => T): T => getRandomStream(readOnlyStream).with(fn);

  const tracedInbound: WorkflowInboundCallsInterceptor = {
    execute: (input, next) =>
      carriesTrace(input.headers) ? history(() => inbound.execute(input, next)) : next(input),
    handleSignal: (input, next) =>
      carriesTrace(input.headers) ? history(() => inbound.handleSignal(input, next)) : next(input),
    handleUpdate: (input, next) =>
      carriesTrace(input.headers) ? history(() => inbound.handleUpdate(input, next)) : next(input),
    validateUpdate: (input, next) =>
      carriesTrace(input.headers) ? readOnly(() => inbound.validateUpdate(input, next)) : next(input),
    handleQuery: (input, next) =>
      carriesTrace(input.headers) ? readOnly(() => inbound.handleQuery(input, next)) : next(input),
  };

  const tracedOutbound: WorkflowOutboundCallsInterceptor = {
    scheduleActivity: (input, next) =>
      inTrace() ? history(() => outbound.scheduleActivity(input, next)) : next(input),
    scheduleLocalActivity: (input, next) =>
      inTrace() ? history(() => outbound.scheduleLocalActivity(input, next)) : next(input),
    startChildWorkflowExecution: (input, next) =>
      inTrace() ? history(() => outbound.startChildWorkflowExecution(input, next)) : next(input),
    signalWorkflow: (input, next) =>
      inTrace() ? history(() => outbound.signalWorkflow(input, next)) : next(input),
    continueAsNew: (input, next) =>
      inTrace() ? history(() => outbound.continueAsNew(input, next)) : next(input),
    // Workflow log lines carry the trace id and span id, as the activities' and the API's do.
    getLogAttributes: (input, next) => outbound.getLogAttributes(input, next),
  };

  return {
    inbound: [tracedInbound],
    outbound: [tracedOutbound],
    internals: [new OpenTelemetryInternalsInterceptor()],
  };
};
