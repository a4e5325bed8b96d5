// Owns load generation for benchmarks: a keep-alive HTTP client for JSON APIs, a closed loop (at most C
// requests in flight) and an open loop (arrivals at a fixed rate, in flight bounded), all finite.
import { Agent, request } from 'node:http';

export interface HttpAnswer {
  status: number;
  /** Parsed JSON body, or undefined for an empty body. */
  body: unknown;
  /** Milliseconds from sending the request to the end of the response body. */
  ms: number;
  /** The response's headers (Retry-After, RateLimit); none when the request failed without an answer. */
  headers: Record<string, string | string[] | undefined>;
}

export interface RequestOptions {
  token?: string;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface HttpClient {
  call(method: string, path: string, options?: RequestOptions): Promise<HttpAnswer>;
  close(): void;
}

/**
 * A JSON client for one base URL over a keep-alive agent, so a run measures the server, not TCP setup.
 * @example const http = createHttpClient('http://127.0.0.1:3000', 64); await http.call('GET', '/healthz');
 */
export function createHttpClient(baseUrl: string, maxSockets: number): HttpClient {
  const base = new URL(baseUrl);
  const agent = new Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });

  function send(method: string, path: string, options: RequestOptions): Promise<HttpAnswer> {
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (payload !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(Buffer.byteLength(payload));
    }
    const started = performance.now();
    return new Promise<HttpAnswer>((resolve, reject) => {
      const req = request(
        { agent, hostname: base.hostname, port: base.port, method, path, headers },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let body: unknown;
            try {
              body = text ? JSON.parse(text) : undefined;
            } catch {
              body = text;
            }
            resolve({
              status: res.statusCode ?? 0,
              body,
              ms: performance.now() - started,
              headers: res.headers,
            });
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  return {
    // A kept-alive socket that the server closed as idle just as we reused it fails with ECONNRESET
    // before any answer: send again on a fresh socket (every request here carries an idempotency key).
    async call(method, path, options = {}) {
      for (let attempt = 1; ; attempt++) {
        try {
          return await send(method, path, options);
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          if (attempt >= 3 || (code !== 'ECONNRESET' && code !== 'EPIPE')) throw error;
        }
      }
    },
    close() {
      agent.destroy();
    },
  };
}

/** Runs `work` for every item with at most `concurrency` in flight; resolves with results in item order. */
export async function closedLoop<T, R>(
  items: readonly T[],
  concurrency: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  async function lane(): Promise<void> {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T, index);
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, lane));
  return results;
}

/**
 * Starts `work` for each item at `ratePerSecond` regardless of how long earlier ones take (an open
 * loop: latency under a given arrival rate, not a rate bent by latency). When `maxInFlight` are
 * running, arrivals wait: the run reports how many arrived late.
 */
export async function openLoop<T, R>(
  items: readonly T[],
  ratePerSecond: number,
  maxInFlight: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<{ results: R[]; lateArrivals: number }> {
  const results = new Array<R>(items.length);
  const running = new Set<Promise<void>>();
  const started = performance.now();
  let lateArrivals = 0;
  for (let index = 0; index < items.length; index++) {
    const due = started + (index * 1000) / ratePerSecond;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    while (running.size >= maxInFlight) await Promise.race(running);
    if (performance.now() - due > 50) lateArrivals++;
    const task = work(items[index] as T, index).then((result) => {
      results[index] = result;
      running.delete(task);
    });
    running.add(task);
  }
  await Promise.all(running);
  return { results, lateArrivals };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
