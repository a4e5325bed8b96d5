// Owns the HTTP side: the request pipeline (control, stripe-mock validation, faults, idempotency, execution).
//
// Every Stripe request is first forwarded to stripe-mock, which checks the key and the parameters
// against Stripe's OpenAPI spec; its errors are passed through. The endpoints of routes.ts are then
// answered from the fixture's own state, shaped from stripe-mock's response.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { type Faults, faultControl } from './faults';
import { fingerprintOf, type Idempotency } from './idempotency';
import { completeActionControl, FixtureStopped, type Intents } from './intents';
import type { Ledger } from './ledger';
import { unknownPaymentMethod } from './payment-methods';
import { executeRoute, matchRoute, paymentMethodOf, unsupported } from './routes';
import { apiError, newId, type Params, parseForm, type Reply, unknownError } from './wire';

export interface ServerParts {
  /** stripe-mock's base URL. */
  upstreamUrl: string;
  /** Aborts waits and upstream calls when the fixture stops. */
  signal: AbortSignal;
  ledger: Ledger;
  intents: Intents;
  faults: Faults;
  idempotency: Idempotency;
}

export interface FixtureServer {
  url: string;
  /** Stops listening and drops every open connection. */
  close(): Promise<void>;
  /** How many Stripe requests are being handled right now (latency and hangs included). */
  inFlight(): number;
  /** Resolves once no Stripe request is being handled. */
  idle(): Promise<void>;
}

export async function startServer(parts: ServerParts, port: number): Promise<FixtureServer> {
  const { signal, ledger, intents, faults, idempotency } = parts;
  const upstream = parts.upstreamUrl.replace(/\/$/, '');

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fixture');
    const raw = await readBody(req);
    if (url.pathname.startsWith('/__fixture/'))
      return send(res, control(req.method ?? 'GET', url.pathname, raw));

    const route = matchRoute(req.method ?? 'GET', url.pathname);
    if (!route) return send(res, await forward(req, url, raw));

    const params = parseForm(req.method === 'GET' ? url.search.slice(1) : raw);
    const paymentMethodId = paymentMethodOf(ledger, route, params);
    const fault = paymentMethodId ? faults.faultFor(paymentMethodId) : undefined;
    if (fault?.latencyMs) await delay(fault.latencyMs, undefined, { signal });
    const outage = paymentMethodId && faults.takeOutage(paymentMethodId, header(req, 'idempotency-key'));
    if (outage) return send(res, outage);

    const key = req.method === 'POST' ? header(req, 'idempotency-key') : undefined;
    const fingerprint = fingerprintOf(req.method, url.pathname, raw);
    const earlier = key && idempotency.earlier(key, fingerprint);
    if (earlier) return send(res, earlier);

    // Validation failures never reach execution, so they store nothing, exactly like Stripe's.
    const validated = await forward(req, url, raw);
    if (validated.status >= 400) return send(res, validated);
    const rejected =
      unsupported(route, params) ?? (paymentMethodId ? unknownPaymentMethod(paymentMethodId) : undefined);
    if (rejected) return send(res, rejected);

    const template = validated.body as Params;
    const reply = await idempotency.execute(key, fingerprint, async () => {
      const executed = await executeRoute({ ledger, intents }, route, params, template, fault);
      // An error inside Stripe after execution began is the key's answer from then on.
      return fault?.storedServerError ? unknownError() : executed;
    });
    // The response lost on the way back: the result is stored, so a retry with the key gets it.
    if (fault?.failAfterCharge) return send(res, unknownError());
    send(res, { ...reply, headers: key ? { 'Idempotency-Key': key } : {} });
  }

  /** `/__fixture/...`: control over HTTP for the dev stack and for tests in other processes. */
  function control(method: string, path: string, raw: string): Reply {
    return (
      faultControl(faults, method, path, raw) ??
      completeActionControl(intents, method, path, raw) ?? {
        status: 404,
        body: { error: `unknown fixture control ${method} ${path}` },
      }
    );
  }

  async function forward(req: IncomingMessage, url: URL, raw: string): Promise<Reply> {
    const headers: Record<string, string> = {};
    for (const name of ['authorization', 'content-type', 'stripe-version', 'stripe-account']) {
      const value = header(req, name);
      if (value) headers[name] = value;
    }
    const method = req.method ?? 'GET';
    const response = await fetch(`${upstream}${url.pathname}${url.search}`, {
      method,
      headers,
      body: method === 'GET' || method === 'HEAD' ? undefined : raw,
      signal,
    });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON: passed through as text
    }
    return { status: response.status, body };
  }

  let inFlight = 0;
  let idleWaiters: (() => void)[] = [];
  const server = createServer((req, res) => {
    inFlight += 1;
    handle(req, res)
      .catch((error: unknown) => {
        if (error instanceof FixtureStopped) res.destroy();
        else send(res, { status: 500, body: apiError(`stripe fixture: ${(error as Error).message}`) });
      })
      .finally(() => {
        inFlight -= 1;
        if (inFlight > 0) return;
        for (const resolve of idleWaiters) resolve();
        idleWaiters = [];
      });
  });
  await listen(server, port);
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
    inFlight: () => inFlight,
    idle: () =>
      inFlight === 0
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            idleWaiters.push(resolve);
          }),
  };
}

function send(res: ServerResponse, reply: Reply): void {
  if (res.destroyed || res.headersSent) return;
  const body =
    reply.body === null ? '' : typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    'content-type': 'application/json',
    'request-id': newId('req'),
    ...reply.headers,
  });
  res.end(body);
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
}
