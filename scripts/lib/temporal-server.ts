// Owns starting a local Temporal dev server (SQLite, Web UI) with Boxoffice's search attributes and the
// dynamic config it relies on. The dev stack and the test setup both start it through here.
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { searchAttributeKeys } from '../../workflows/search-attributes';
import { resolveTool, ToolNotFoundError, temporalCli } from './binaries';

export interface TemporalServerOptions {
  /** Persist to this SQLite file; in memory when absent. */
  dbFilename?: string;
  port?: number;
  uiPort?: number;
  /** Serve the server's Prometheus metrics on this port. */
  metricsPort?: number;
  /** The server's own log level; tests keep it to errors. */
  serverLogLevel?: 'debug' | 'info' | 'warn' | 'error';
  log?: (line: string) => void;
}

export const temporalDynamicConfig = [
  // Update-with-Start: the reservation POST answers 201/409 from the hold in one round trip.
  'frontend.enableExecuteMultiOperation=true',
  // Support's visibility queries see a transition right after it happens.
  'system.forceSearchAttributesCacheRefreshOnRead=true',
  // Flash sales start thousands of workflows; the dev server's defaults throttle well below that.
  'frontend.namespaceRPS.visibility=1000',
];

export async function startTemporalServer(
  options: TemporalServerOptions = {},
): Promise<TestWorkflowEnvironment> {
  const log = options.log ?? (() => {});
  let executable: { type: 'existing-path'; path: string } | { type: 'cached-download' };
  try {
    executable = { type: 'existing-path', path: resolveTool(temporalCli, log) };
  } catch (error) {
    if (!(error instanceof ToolNotFoundError)) throw error;
    // Last resort: the SDK downloads the CLI itself (needs internet access to temporal.download).
    log(`${error.message}; falling back to the Temporal SDK's download`);
    executable = { type: 'cached-download' };
  }
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable,
      ip: '127.0.0.1',
      port: options.port,
      ui: options.uiPort !== undefined,
      uiPort: options.uiPort,
      dbFilename: options.dbFilename,
      searchAttributes: searchAttributeKeys,
      extraArgs: [
        ...temporalDynamicConfig.flatMap((setting) => ['--dynamic-config-value', setting]),
        ...(options.metricsPort === undefined ? [] : ['--metrics-port', String(options.metricsPort)]),
      ],
      log: { format: 'json', level: options.serverLogLevel ?? 'warn' },
    },
  });
}
