// Owns what every process's metrics share: a registry per process (never prom-client's global one, so an
// API and a worker running in one test process stay apart), Node's process metrics, and serving metrics
// in Prometheus's text format over HTTP for a process that has no HTTP server of its own (the worker).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectDefaultMetrics, Registry } from 'prom-client';

export { Registry };

/** The Content-Type of Prometheus's text exposition format (0.0.4). */
export const metricsContentType = Registry.PROMETHEUS_CONTENT_TYPE;

/**
 * The registry of one process. `processMetrics` adds Node's own (CPU, memory, event loop lag, GC): on
 * for the real API and worker processes, off for the many apps a test process builds.
 */
export function createMetricsRegistry(options: { processMetrics?: boolean } = {}): Registry {
  const registry = new Registry();
  if (options.processMetrics) collectDefaultMetrics({ register: registry });
  return registry;
}

export interface MetricsServer {
  /** The port it listens on (the one asked for, or the one the system picked for 0). */
  port: number;
  close(): Promise<void>;
}

/**
 * Serves `render()` at GET /metrics on `port` (0: any free port), 404 elsewhere; a failing render answers
 * 500 with its message, so Prometheus marks the scrape failed instead of reading half a document.
 */
export function serveMetrics(options: {
  port: number;
  host: string;
  render: () => Promise<string>;
}): Promise<MetricsServer> {
  const server: Server = createServer((request, response) => {
    if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('only GET /metrics here\n');
      return;
    }
    options.render().then(
      (text) => response.writeHead(200, { 'content-type': metricsContentType }).end(text),
      (error: Error) => response.writeHead(500, { 'content-type': 'text/plain' }).end(`${error.message}\n`),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () =>
          new Promise((done) => {
            server.close(() => done());
            // Prometheus keeps its scrape connection alive; it must not hold a shutdown open.
            server.closeAllConnections();
          }),
      });
    });
  });
}
