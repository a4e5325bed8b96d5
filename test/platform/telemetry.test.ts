// Tracing's switch and its wire: off (nothing started, plain clients) without OTEL_EXPORTER_OTLP_ENDPOINT;
// with it, spans reach the collector's /v1/traces over OTLP/HTTP as protobuf (the default) or JSON, named
// by OTEL_SERVICE_NAME, whichever the encoding; a protocol or endpoint it cannot use stops the process
// naming the variable.
import { trace } from '@opentelemetry/api';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OtlpReceiver, startOtlpReceiver } from '../../scripts/lib/otlp-receiver';
import { ConfigError } from '../../src/platform/config';
import { createPool } from '../../src/platform/db';
import {
  activeTelemetry,
  startTelemetry,
  temporalClientInterceptors,
  workerTracing,
} from '../../src/platform/telemetry';
import { testConfig } from '../helpers/app';
import { testDatabaseUrl } from '../helpers/urls';

describe('tracing configuration', () => {
  let receiver: OtlpReceiver;
  beforeAll(async () => {
    receiver = await startOtlpReceiver();
  });
  afterAll(async () => {
    await receiver.close();
  });

  it('is off without an endpoint: nothing starts and the clients are the plain ones', async () => {
    const config = testConfig({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_SERVICE_NAME: 'unused' });
    expect(config.telemetry).toBeUndefined();
    expect(await startTelemetry(config.telemetry, 'boxoffice-api')).toBeUndefined();
    expect(activeTelemetry()).toBeUndefined();
    expect(temporalClientInterceptors()).toBeUndefined();
    expect(workerTracing().interceptors).toBeUndefined();
    const pool = createPool(testDatabaseUrl, 1);
    expect(Object.getPrototypeOf(pool)).toBe(pg.Pool.prototype);
    await pool.end();
    // No tracer provider was registered: spans made anyway are no-ops.
    expect(trace.getTracer('probe').startSpan('probe').isRecording()).toBe(false);
  });

  it('refuses a protocol or an endpoint it cannot use, naming the variable', () => {
    expect(() =>
      testConfig({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4317',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      }),
    ).toThrow(/OTEL_EXPORTER_OTLP_PROTOCOL must be http\/protobuf or http\/json/);
    expect(() => testConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toThrow(ConfigError);
    expect(() => testConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toThrow(
      /OTEL_EXPORTER_OTLP_ENDPOINT/,
    );
  });

  it.each([
    ['http/protobuf', 'application/x-protobuf'],
    ['http/json', 'application/json'],
  ])('sends spans to <endpoint>/v1/traces as %s', async (protocol, contentType) => {
    const config = testConfig({
      // A trailing slash on the base URL is the collector's root all the same.
      OTEL_EXPORTER_OTLP_ENDPOINT: `${receiver.url}/`,
      OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
      OTEL_SERVICE_NAME: 'boxoffice-probe',
    });
    const telemetry = await startTelemetry(config.telemetry, 'boxoffice-api');
    if (!telemetry) throw new Error('tracing did not start');
    try {
      expect(activeTelemetry()).toBe(telemetry);
      const pool = createPool(testDatabaseUrl, 1);
      expect(Object.getPrototypeOf(pool)).not.toBe(pg.Pool.prototype);
      await pool.end();
      trace.getTracer('probe').startSpan(`probe ${protocol}`).end();
      await telemetry.flush();
    } finally {
      await telemetry.shutdown();
    }
    expect(activeTelemetry()).toBeUndefined();
    const sent = receiver.requests.filter((request) => request.contentType.startsWith(contentType));
    expect(sent.length).toBeGreaterThan(0);
    expect(sent.every((request) => request.path === '/v1/traces' && request.bytes > 0)).toBe(true);
    expect(receiver.spans).toContainEqual(
      expect.objectContaining({ name: `probe ${protocol}`, kind: 1, service: 'boxoffice-probe' }),
    );
  });
});
