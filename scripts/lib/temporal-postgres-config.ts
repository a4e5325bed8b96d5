// Owns the files a real Temporal server (go.temporal.io/server, Postgres persistence) reads: its config,
// in the shape of the module's config/development-postgres12.yaml and docker-compose's server, and its
// dynamic config, the same settings the dev server runs with, in the server's YAML format.
import { stringify } from 'yaml';
import { testingServerDynamicConfig } from './dev-temporal';
import { temporalDynamicConfig } from './temporal-server';

/**
 * What `temporal server start-dev` (CLI v1.5.1, temporalcli/commands.server.go and devserver/server.go)
 * sets on its own. Our settings turn the search attributes cache off (refresh on every read), and the
 * dev server raises the persistence rate limits to make up for it; without these a comparison would
 * measure the real server's throttles rather than its persistence.
 */
export const devServerBuiltInDynamicConfig = [
  'frontend.persistenceMaxQPS=10000',
  'history.persistenceMaxQPS=45000',
  'history.hostLevelCacheMaxSize=8096',
];

/**
 * Postgres's own: the schema's workflow_id columns are varchar(255), so the server refuses a longer id
 * instead of Postgres failing the write (docker-compose's dynamic config says the same).
 */
export const postgresDynamicConfig = ['limit.maxIDLength=255'];

/** Every setting the real server gets, in order; a later one for the same key wins. */
export function temporalPostgresDynamicConfig(extra: string[] = []): string[] {
  return [
    ...devServerBuiltInDynamicConfig,
    ...testingServerDynamicConfig,
    ...temporalDynamicConfig,
    ...postgresDynamicConfig,
    ...extra,
  ];
}

/**
 * `KEY=JSON` settings (as `--dynamic-config-value` takes them) as the server's dynamic config file: each
 * key with one unconstrained value. A later setting for a key replaces an earlier one, so the benchmark's
 * --dynamic-config overrides the defaults. Throws on a setting that is not `KEY=JSON`.
 */
export function dynamicConfigYaml(settings: string[]): string {
  const values = new Map<string, unknown>();
  for (const setting of settings) {
    const at = setting.indexOf('=');
    const key = setting.slice(0, at).trim();
    if (at <= 0 || !key) throw new Error(`dynamic config ${setting}: expected KEY=JSON`);
    try {
      values.set(key, JSON.parse(setting.slice(at + 1)));
    } catch {
      throw new Error(`dynamic config ${setting}: the value is not JSON (a string needs quotes)`);
    }
  }
  const file = Object.fromEntries([...values].map(([key, value]) => [key, [{ value, constraints: {} }]]));
  return stringify(file);
}

/** The ports of one server; every service listens on 127.0.0.1. */
export interface TemporalPorts {
  frontend: number;
  frontendHttp: number;
  frontendMembership: number;
  history: number;
  historyMembership: number;
  matching: number;
  matchingMembership: number;
  worker: number;
  workerMembership: number;
  metrics: number;
}

export const portNames: (keyof TemporalPorts)[] = [
  'frontend',
  'frontendHttp',
  'frontendMembership',
  'history',
  'historyMembership',
  'matching',
  'matchingMembership',
  'worker',
  'workerMembership',
  'metrics',
];

export interface PostgresServer {
  host: string;
  port: number;
  user: string;
  password: string;
}

export interface ServerConfigOptions {
  postgres: PostgresServer;
  /** The history database; visibility is `<database>_visibility`. */
  database: string;
  shards: number;
  ports: TemporalPorts;
  dynamicConfigFile: string;
  logFile: string;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
}

/** The visibility database beside `database`, as docker-compose names them (temporal, temporal_visibility). */
export const visibilityDatabase = (database: string) => `${database}_visibility`;

/** The server's config file (`<env>.yaml`): all four services in one process, Postgres for both stores. */
export function serverConfigYaml(options: ServerConfigOptions): string {
  const { postgres, ports } = options;
  const sql = (databaseName: string, maxConns: number) => ({
    sql: {
      pluginName: 'postgres12',
      databaseName,
      connectAddr: `${postgres.host}:${postgres.port}`,
      connectProtocol: 'tcp',
      user: postgres.user,
      password: postgres.password,
      maxConns,
      maxIdleConns: maxConns,
      maxConnLifetime: '1h',
    },
  });
  const service = (grpcPort: number, membershipPort: number, extra: Record<string, number> = {}) => ({
    rpc: { grpcPort, membershipPort, bindOnLocalHost: true, ...extra },
  });
  return stringify({
    log: { stdout: false, outputFile: options.logFile, level: options.logLevel },
    persistence: {
      defaultStore: 'postgres-default',
      visibilityStore: 'postgres-visibility',
      numHistoryShards: options.shards,
      datastores: {
        // docker-compose's image defaults (its config_template.yaml): 20 connections, 10 for visibility.
        'postgres-default': sql(options.database, 20),
        'postgres-visibility': sql(visibilityDatabase(options.database), 10),
      },
    },
    global: {
      membership: { maxJoinDuration: '30s', broadcastAddress: '127.0.0.1' },
      // pprof off (port 0); Prometheus metrics on, as the dev server always serves them.
      pprof: { port: 0 },
      metrics: {
        prometheus: {
          framework: 'tally',
          timerType: 'histogram',
          listenAddress: `127.0.0.1:${ports.metrics}`,
        },
      },
    },
    services: {
      frontend: service(ports.frontend, ports.frontendMembership, { httpPort: ports.frontendHttp }),
      history: service(ports.history, ports.historyMembership),
      matching: service(ports.matching, ports.matchingMembership),
      worker: service(ports.worker, ports.workerMembership),
    },
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: {
        active: {
          enabled: true,
          initialFailoverVersion: 1,
          rpcName: 'frontend',
          rpcAddress: `127.0.0.1:${ports.frontend}`,
          httpAddress: `127.0.0.1:${ports.frontendHttp}`,
        },
      },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    dynamicConfigClient: { filepath: options.dynamicConfigFile, pollInterval: '10s' },
  });
}
