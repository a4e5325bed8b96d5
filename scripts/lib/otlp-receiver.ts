// Owns a trace collector for the suites and the benchmarks: an OTLP/HTTP receiver on a free loopback port,
// the endpoint a process gives OTEL_EXPORTER_OTLP_ENDPOINT. It keeps every request it got and reads the
// spans of both encodings OpenTelemetry sends over HTTP, JSON and protobuf (the exporters' default).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  /** OTLP's span kind: 1 internal, 2 server, 3 client. */
  kind: number;
  /** Nanoseconds since the epoch, in decimal (a 64-bit number does not fit a JavaScript number). */
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: Record<string, unknown>;
  /** The `service.name` of the resource that sent it. */
  service: unknown;
}

export interface OtlpReceiverOptions {
  /** Given, every span goes to it instead of `spans`: a benchmark's hundred thousand need not be kept. */
  onSpan?: (span: ReceivedSpan) => void;
}

export interface OtlpReceiver {
  /** The base URL, as OTEL_EXPORTER_OTLP_ENDPOINT takes it. */
  url: string;
  requests: { path: string; contentType: string; bytes: number }[];
  spans: ReceivedSpan[];
  close(): Promise<void>;
}

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
}
interface OtlpAttribute {
  key: string;
  value: OtlpValue;
}
interface OtlpJsonRequest {
  resourceSpans?: {
    resource?: { attributes?: OtlpAttribute[] };
    scopeSpans?: {
      spans?: (Omit<ReceivedSpan, 'attributes' | 'service'> & { attributes?: OtlpAttribute[] })[];
    }[];
  }[];
}

function attributeValue(value: OtlpValue): unknown {
  if (value.intValue !== undefined) return Number(value.intValue);
  return value.stringValue ?? value.doubleValue ?? value.boolValue;
}

function attributes(list: OtlpAttribute[] = []): Record<string, unknown> {
  return Object.fromEntries(list.map(({ key, value }) => [key, attributeValue(value)]));
}

function jsonSpans(body: Buffer): ReceivedSpan[] {
  const payload = JSON.parse(body.toString('utf8')) as OtlpJsonRequest;
  return (payload.resourceSpans ?? []).flatMap((resourceSpans) => {
    const service = attributes(resourceSpans.resource?.attributes)['service.name'];
    return (resourceSpans.scopeSpans ?? []).flatMap((scope) =>
      (scope.spans ?? []).map((span) => ({ ...span, attributes: attributes(span.attributes), service })),
    );
  });
}

/** One field of a protobuf message: its number and its value (a varint, 8 fixed bytes, or bytes). */
interface Field {
  number: number;
  varint?: bigint;
  bytes?: Buffer;
}

/** The fields of a protobuf message in wire order (the wire format: a tag varint, then the value). */
function* fields(buffer: Buffer): Generator<Field> {
  let at = 0;
  const varint = (): bigint => {
    let value = 0n;
    for (let shift = 0n; ; shift += 7n) {
      const byte = buffer[at++] as number;
      value |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return value;
    }
  };
  while (at < buffer.length) {
    const tag = Number(varint());
    const number = tag >>> 3;
    const wireType = tag & 7;
    if (wireType === 0) yield { number, varint: varint() };
    else if (wireType === 1 || wireType === 5) {
      const size = wireType === 1 ? 8 : 4;
      yield { number, bytes: buffer.subarray(at, at + size) };
      at += size;
    } else if (wireType === 2) {
      const size = Number(varint());
      yield { number, bytes: buffer.subarray(at, at + size) };
      at += size;
    } else throw new Error(`protobuf wire type ${wireType} is not OTLP's`);
  }
}

const messages = (buffer: Buffer, number: number) =>
  [...fields(buffer)].filter((field) => field.number === number && field.bytes).map((f) => f.bytes as Buffer);

/** An AnyValue (opentelemetry/proto/common/v1): string 1, bool 2, int 3, double 4; the rest as bytes. */
function protobufValue(buffer: Buffer): unknown {
  for (const field of fields(buffer)) {
    if (field.number === 1) return field.bytes?.toString('utf8');
    if (field.number === 2) return field.varint === 1n;
    if (field.number === 3) return Number(BigInt.asIntN(64, field.varint ?? 0n));
    if (field.number === 4) return field.bytes?.readDoubleLE(0);
    return field.bytes;
  }
  return undefined;
}

/** KeyValue messages (key 1, value 2) as a record. */
function protobufAttributes(list: Buffer[]): Record<string, unknown> {
  return Object.fromEntries(
    list.map((keyValue) => {
      let key = '';
      let value: unknown;
      for (const field of fields(keyValue)) {
        if (field.number === 1) key = field.bytes?.toString('utf8') ?? '';
        if (field.number === 2 && field.bytes) value = protobufValue(field.bytes);
      }
      return [key, value];
    }),
  );
}

/** A Span (opentelemetry/proto/trace/v1/trace.proto), ids in hex as the JSON encoding has them. */
function protobufSpan(buffer: Buffer, service: unknown): ReceivedSpan {
  const span: ReceivedSpan = {
    traceId: '',
    spanId: '',
    name: '',
    kind: 0,
    startTimeUnixNano: '0',
    endTimeUnixNano: '0',
    attributes: protobufAttributes(messages(buffer, 9)),
    service,
  };
  for (const field of fields(buffer)) {
    const hex = field.bytes?.toString('hex');
    if (field.number === 1) span.traceId = hex ?? '';
    else if (field.number === 2) span.spanId = hex ?? '';
    else if (field.number === 4 && hex) span.parentSpanId = hex;
    else if (field.number === 5) span.name = field.bytes?.toString('utf8') ?? '';
    else if (field.number === 6) span.kind = Number(field.varint ?? 0n);
    else if (field.number === 7) span.startTimeUnixNano = String(field.bytes?.readBigUInt64LE(0) ?? 0n);
    else if (field.number === 8) span.endTimeUnixNano = String(field.bytes?.readBigUInt64LE(0) ?? 0n);
  }
  return span;
}

/** ExportTraceServiceRequest: resource_spans 1 { resource 1 { attributes 1 }, scope_spans 2 { spans 2 } }. */
function protobufSpans(body: Buffer): ReceivedSpan[] {
  return messages(body, 1).flatMap((resourceSpans) => {
    const resource = messages(resourceSpans, 1)[0];
    const service = resource && protobufAttributes(messages(resource, 1))['service.name'];
    return messages(resourceSpans, 2).flatMap((scope) =>
      messages(scope, 2).map((span) => protobufSpan(span, service)),
    );
  });
}

export async function startOtlpReceiver(options: OtlpReceiverOptions = {}): Promise<OtlpReceiver> {
  const requests: OtlpReceiver['requests'] = [];
  const spans: ReceivedSpan[] = [];
  const keep = options.onSpan ?? ((span: ReceivedSpan) => spans.push(span));
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      const contentType = request.headers['content-type'] ?? '';
      const json = contentType.startsWith('application/json');
      requests.push({ path: request.url ?? '', contentType, bytes: body.length });
      try {
        for (const span of json ? jsonSpans(body) : protobufSpans(body)) keep(span);
      } catch (error) {
        response.writeHead(400, { 'content-type': 'text/plain' }).end(`unreadable spans: ${error}\n`);
        return;
      }
      // An empty ExportTraceServiceResponse: everything accepted.
      response.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' });
      response.end(json ? '{}' : '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    spans,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        // An exporter keeps its connection alive; it must not hold the close open.
        server.closeAllConnections();
      }),
  };
}
