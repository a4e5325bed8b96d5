// Checks the files the real Temporal server (DEV_TEMPORAL=server, bench --temporal server) reads, without
// the server: its dynamic config carries every setting the dev server runs with and is docker-compose's,
// a later setting wins and a malformed one is refused, and its config puts both stores on Postgres with
// the asked shards and ports. Also how its ports are picked and its binaries found.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { projectRoot } from '../../scripts/lib/binaries';
import { testingServerDynamicConfig } from '../../scripts/lib/dev-temporal';
import { freePortBelowEphemeral } from '../../scripts/lib/ports';
import {
  devServerBuiltInDynamicConfig,
  dynamicConfigYaml,
  serverConfigYaml,
  type TemporalPorts,
  temporalPostgresDynamicConfig,
} from '../../scripts/lib/temporal-postgres-config';
import { temporalDynamicConfig } from '../../scripts/lib/temporal-server';

type DynamicConfig = Record<string, { value: unknown; constraints: object }[]>;

const parsed = (settings: string[]) => parse(dynamicConfigYaml(settings)) as DynamicConfig;

describe('the real server dynamic config', () => {
  const file = parsed(temporalPostgresDynamicConfig());

  it('has every setting the dev server gets, each as one unconstrained value', () => {
    for (const setting of [
      ...devServerBuiltInDynamicConfig,
      ...testingServerDynamicConfig,
      ...temporalDynamicConfig,
    ]) {
      const [key = '', value = ''] = setting.split('=');
      expect(file[key], key).toEqual([{ value: JSON.parse(value), constraints: {} }]);
    }
    expect(file['frontend.enableExecuteMultiOperation']?.[0]?.value).toBe(true);
  });

  it("holds docker-compose's Temporal dynamic config, value for value", () => {
    const compose = parse(
      readFileSync(join(projectRoot, 'deploy', 'temporal', 'dynamicconfig', 'boxoffice.yaml'), 'utf8'),
    ) as DynamicConfig;
    for (const [key, values] of Object.entries(compose)) expect(file[key], key).toEqual(values);
  });

  it("lets a later setting replace an earlier one (the benchmark's --dynamic-config)", () => {
    const file = parsed(temporalPostgresDynamicConfig(['frontend.namespaceRPS.visibility=50', 'x.y="a=b"']));
    expect(file['frontend.namespaceRPS.visibility']).toEqual([{ value: 50, constraints: {} }]);
    expect(file['x.y']).toEqual([{ value: 'a=b', constraints: {} }]);
  });

  it('refuses a setting that is not KEY=JSON, naming it', () => {
    expect(() => dynamicConfigYaml(['history.x=fast'])).toThrow(
      'dynamic config history.x=fast: the value is not JSON (a string needs quotes)',
    );
    expect(() => dynamicConfigYaml(['=1'])).toThrow('dynamic config =1: expected KEY=JSON');
  });
});

describe('the real server config', () => {
  const ports: TemporalPorts = {
    frontend: 21_000,
    frontendHttp: 21_001,
    frontendMembership: 21_002,
    history: 21_003,
    historyMembership: 21_004,
    matching: 21_005,
    matchingMembership: 21_006,
    worker: 21_007,
    workerMembership: 21_008,
    metrics: 21_009,
  };
  const config = parse(
    serverConfigYaml({
      postgres: { host: '127.0.0.1', port: 5433, user: 'postgres', password: '' },
      database: 'temporal_x',
      shards: 8,
      ports,
      dynamicConfigFile: '/tmp/x/dynamicconfig.yaml',
      logFile: '/tmp/x/server.log',
      logLevel: 'warn',
    }),
  );

  it('keeps history and visibility in their own Postgres databases, with the asked shards', () => {
    expect(config.persistence.numHistoryShards).toBe(8);
    const stores = config.persistence.datastores;
    expect(stores[config.persistence.defaultStore].sql).toMatchObject({
      pluginName: 'postgres12',
      databaseName: 'temporal_x',
      connectAddr: '127.0.0.1:5433',
      user: 'postgres',
      password: '',
    });
    expect(stores[config.persistence.visibilityStore].sql.databaseName).toBe('temporal_x_visibility');
  });

  it('listens on 127.0.0.1 on the given ports, and names its frontend and dynamic config', () => {
    const rpc = (grpcPort: number, membershipPort: number) => ({
      rpc: { grpcPort, membershipPort, bindOnLocalHost: true },
    });
    expect(config.services).toEqual({
      frontend: {
        rpc: { ...rpc(ports.frontend, ports.frontendMembership).rpc, httpPort: ports.frontendHttp },
      },
      history: rpc(ports.history, ports.historyMembership),
      matching: rpc(ports.matching, ports.matchingMembership),
      worker: rpc(ports.worker, ports.workerMembership),
    });
    expect(config.global.metrics.prometheus.listenAddress).toBe(`127.0.0.1:${ports.metrics}`);
    expect(config.clusterMetadata.clusterInformation.active.rpcAddress).toBe(`127.0.0.1:${ports.frontend}`);
    expect(config.dynamicConfigClient.filepath).toBe('/tmp/x/dynamicconfig.yaml');
    expect(config.log).toMatchObject({ stdout: false, outputFile: '/tmp/x/server.log' });
  });
});

describe('freePortBelowEphemeral', () => {
  it('picks a free port below 32768 that is not taken', async () => {
    const taken = new Set<number>();
    for (let i = 0; i < 5; i += 1) {
      const port = await freePortBelowEphemeral(taken);
      expect(port).toBeGreaterThanOrEqual(20_000);
      expect(port).toBeLessThan(32_768);
      expect(taken.has(port)).toBe(false);
      taken.add(port);
    }
  });
});
