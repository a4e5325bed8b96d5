// One trace per checkout, end to end. With OTEL_* pointing at a local OTLP receiver, the HTTP request that
// holds the seats (continuing the client's traceparent), its Update-with-Start, the workflow run and the
// hold, charge and sale activities, with their Postgres, Redis and Stripe calls, are spans of one trace.
// Every response names its trace, log lines of the request and its activities carry the trace id, and the
// traced history (with a refused update and a query in it) replays with the worker's bundle.
import { randomBytes, randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { traceResponseHeader } from '../../api/tracing';
import { type OtlpReceiver, type ReceivedSpan, startOtlpReceiver } from '../../scripts/lib/otlp-receiver';
import { createLogger } from '../../src/platform/logger';
import { startTelemetry, type Telemetry, workerTracing } from '../../src/platform/telemetry';
import { confirmUpdate, type ReservationWorkflow, statusQuery } from '../../workflows/reservation/contract';
import { bearer, testConfig } from '../helpers/app';
import { startTestStack, type TestStack } from '../helpers/stack';

const serverKind = 2;
const clientKind = 3;

describe('tracing a checkout', () => {
  let receiver: OtlpReceiver;
  let telemetry: Telemetry;
  let stack: TestStack;
  const logLines: Record<string, unknown>[] = [];

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    const config = testConfig({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_SERVICE_NAME: 'boxoffice-tracing-suite',
    });
    // First, as the API and the worker do: the stack's clients are made traced.
    const started = await startTelemetry(config.telemetry, 'boxoffice-api');
    if (!started) throw new Error('tracing did not start');
    telemetry = started;
    const lines = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString('utf8').split('\n').filter(Boolean))
          logLines.push(JSON.parse(line));
        done();
      },
    });
    stack = await startTestStack('tracing', {}, { log: createLogger('info', 'tracing', lines) });
  });
  afterAll(async () => {
    await stack?.stop();
    await telemetry?.shutdown();
    await receiver?.close();
  });

  /** The spans of one trace, waiting until the workflow's own span (exported when the run ends) is in. */
  async function traceOf(traceId: string): Promise<ReceivedSpan[]> {
    await vi.waitFor(
      async () => {
        await telemetry.flush();
        expect(
          receiver.spans.some((span) => span.traceId === traceId && span.name.startsWith('RunWorkflow:')),
        ).toBe(true);
      },
      { timeout: 30_000, interval: 250 },
    );
    return receiver.spans.filter((span) => span.traceId === traceId);
  }

  function ancestry(spans: ReceivedSpan[], span: ReceivedSpan): string[] {
    const names: string[] = [];
    let parent = spans.find((candidate) => candidate.spanId === span.parentSpanId);
    while (parent) {
      names.push(parent.name);
      const next: ReceivedSpan = parent;
      parent = spans.find((candidate) => candidate.spanId === next.parentSpanId);
    }
    return names;
  }

  it('puts the hold request, the workflow, its activities and their calls in the request’s trace', async () => {
    const eventId = await stack.createEvent({ seats: 4 });
    const buyer = await bearer(`buyer-${randomUUID().slice(0, 8)}`, 'buyer');
    // The client's own trace: the API continues it.
    const traceId = randomBytes(16).toString('hex');
    const clientSpanId = randomBytes(8).toString('hex');
    const held = await stack.call(
      'POST',
      `/v1/events/${eventId}/reservations`,
      buyer,
      { seatIds: ['A-1-1', 'A-1-2'] },
      { 'idempotency-key': randomUUID(), traceparent: `00-${traceId}-${clientSpanId}-01` },
    );
    expect(held.status).toBe(201);
    expect(held.headers.get(traceResponseHeader)).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));

    // Straight to the workflow, as support's tools do: a confirm its validator refuses, and a query.
    const handle = stack.temporal.client.workflow.getHandle<ReservationWorkflow>(held.body.id);
    await expect(handle.executeUpdate(confirmUpdate, { args: [{ paymentMethodId: '' }] })).rejects.toThrow(
      WorkflowUpdateFailedError,
    );
    expect((await handle.query(statusQuery)).status).toBe('HELD');

    const confirmed = await stack.call(
      'POST',
      `/v1/reservations/${held.body.id}/confirm`,
      buyer,
      { paymentMethodId: 'pm_card_visa' },
      { 'idempotency-key': randomUUID() },
    );
    expect(confirmed.status).toBe(200);
    expect(confirmed.headers.get(traceResponseHeader)).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect((await handle.result()).status).toBe('CONFIRMED');

    const spans = await traceOf(traceId);
    const named = (name: string) => {
      const span = spans.find((candidate) => candidate.name === name);
      if (!span) throw new Error(`no span ${name} in ${spans.map((s) => s.name).join(', ')}`);
      return span;
    };
    const request = named('POST /v1/events/:eventId/reservations');
    expect(request).toMatchObject({
      kind: serverKind,
      parentSpanId: clientSpanId,
      service: 'boxoffice-tracing-suite',
    });
    expect(request.attributes['http.response.status_code']).toBe(201);
    const requestName = request.name;
    expect(ancestry(spans, named('StartWorkflow:reservationWorkflow'))).toContain(requestName);
    expect(ancestry(spans, named('RunWorkflow:reservationWorkflow'))).toContain(
      'StartWorkflow:reservationWorkflow',
    );
    const postgresUnder = (parent: string) =>
      spans.filter(
        (span) => span.attributes['db.system.name'] === 'postgresql' && ancestry(spans, span)[0] === parent,
      );

    // The hold, taken by the API in the request itself, with its Postgres calls.
    expect(postgresUnder(requestName).length, 'Postgres spans of the hold').toBeGreaterThan(0);
    // The charge and the sale, activities of the workflow, each with its Postgres calls; the charge's Stripe call.
    for (const activity of ['chargePayment', 'completeSale']) {
      const run = named(`RunActivity:${activity}`);
      expect(ancestry(spans, run)).toEqual(
        expect.arrayContaining(['RunWorkflow:reservationWorkflow', requestName]),
      );
      const queries = postgresUnder(run.name);
      expect(queries.length, `Postgres spans under ${activity}`).toBeGreaterThan(0);
      expect(queries.every((query) => query.kind === clientKind)).toBe(true);
    }
    const stripeCall = named('stripe POST /v1/payment_intents');
    expect(ancestry(spans, stripeCall)[0]).toBe('RunActivity:chargePayment');
    expect(stripeCall.attributes['http.response.status_code']).toBe(200);
    expect(spans.some((span) => span.attributes['db.system.name'] === 'redis')).toBe(true);

    // The request's log line, and an activity's, carry the trace id.
    const requestLine = logLines.find(
      (line) => line.msg === 'request' && line.path === `/v1/events/${eventId}/reservations`,
    );
    expect(requestLine).toMatchObject({
      trace_id: traceId,
      span_id: expect.stringMatching(/^[0-9a-f]{16}$/),
    });
    expect(
      logLines.find((line) => line.msg === 'charge attempt answered' && line.reservationId === held.body.id),
    ).toMatchObject({
      trace_id: traceId,
    });

    // The history with a refused update and a query in it replays with the bundle the worker runs.
    const history = await handle.fetchHistory();
    await Worker.runReplayHistory(
      { workflowBundle: { codePath: inject('workflowBundlePath') }, ...workerTracing() },
      history,
      held.body.id,
    );
  });

  it('names the trace on every response, a 404 and a 401 as well', async () => {
    const unknown = await stack.call('GET', '/v1/nowhere', '');
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get(traceResponseHeader)).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    const unauthorized = await stack.call('GET', `/v1/reservations/rsv_${randomUUID()}`, 'Bearer nonsense');
    expect(unauthorized.status).toBe(401);
    expect(unauthorized.headers.get(traceResponseHeader)).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  });
});
