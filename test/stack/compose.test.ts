// Checks docker-compose.yml against the code, since no Docker engine runs here: its services, ports (all
// but the API's on loopback), dependency conditions and health checks, the environment the worker and the
// API need (secrets from the host, never the public development values), and that Temporal gets the same
// search attributes and dynamic config as the dev server and the tests.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { projectRoot, stripeMock } from '../../scripts/lib/binaries';
import { searchAttributeFlag, testingServerDynamicConfig } from '../../scripts/lib/dev-temporal';
import { temporalDynamicConfig } from '../../scripts/lib/temporal-server';
import { ConfigError, devSecrets, loadConfig } from '../../src/platform/config';
import { searchAttributeKeys } from '../../workflows/search-attributes';

interface Service {
  image?: string;
  build?: string | { context: string };
  command?: string[] | string;
  entrypoint?: string[] | string;
  environment?: Record<string, string>;
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] | string };
  volumes?: string[];
  restart?: string;
}

const read = (path: string) => readFileSync(join(projectRoot, path), 'utf8');
const compose = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, Service> };
const services = compose.services;
const service = (name: string): Service => {
  const found = services[name];
  if (!found) throw new Error(`docker-compose.yml has no service ${name}`);
  return found;
};

/** Compose's variable interpolation: ${NAME}, ${NAME:-default} (unset or empty), ${NAME-default} (unset). */
function interpolate(value: string, hostEnv: Record<string, string>): string {
  return value.replace(
    /\$\{(\w+)(?:(:?-)([^}]*))?\}/g,
    (_, name: string, operator?: string, fallback = '') => {
      const current = hostEnv[name];
      if (operator === ':-') return current ? current : fallback;
      if (operator === '-') return current ?? fallback;
      return current ?? '';
    },
  );
}

function environmentOf(name: string, hostEnv: Record<string, string> = {}): Record<string, string> {
  return Object.fromEntries(
    Object.entries(service(name).environment ?? {}).map(([key, value]) => [
      key,
      interpolate(String(value), hostEnv),
    ]),
  );
}

/** The variables src/platform/config.ts cannot default: what loadConfig names when given nothing. */
function requiredVariables(): string[] {
  try {
    loadConfig({});
  } catch (error) {
    if (error instanceof ConfigError)
      return error.problems.map((problem) => problem.split(' ')[0] ?? problem);
    throw error;
  }
  return [];
}

const oneShotJobs = ['temporal-schema', 'temporal-search-attributes', 'migrate'];
const appServices = ['worker', 'api'];
/** Secrets of the operator's own, as a host's environment or `.env` file gives them to compose. */
const hostSecrets = {
  AUTH_JWT_SECRET: 'a-host-secret-of-32-characters!!',
  TICKET_SIGNING_SECRET: 'a-host-ticket-key-of-32-chars!!!',
  WAITING_ROOM_KEYS: 'host:a-host-waiting-room-key-32-chars',
};

describe('docker-compose.yml', () => {
  it('defines the whole stack and nothing else', () => {
    expect(Object.keys(services).sort()).toEqual(
      [
        'api',
        'grafana',
        'jaeger',
        'migrate',
        'prometheus',
        'postgres',
        'redis',
        'stripe-mock',
        'temporal',
        'temporal-schema',
        'temporal-search-attributes',
        'temporal-ui',
        'worker',
      ].sort(),
    );
  });

  it('pins every image to a version', () => {
    for (const [name, definition] of Object.entries(services)) {
      if (definition.build) continue;
      expect(definition.image, name).toMatch(/^[\w./-]+:[\w.-]+$/);
      expect(definition.image, name).not.toMatch(/:latest$/);
    }
  });

  it('publishes the documented ports', () => {
    const published = Object.fromEntries(
      Object.entries(services).flatMap(([name, definition]) =>
        definition.ports ? [[name, definition.ports.map(String)]] : [],
      ),
    );
    expect(published).toEqual({
      postgres: ['127.0.0.1:5432:5432'],
      redis: ['127.0.0.1:6379:6379'],
      temporal: ['127.0.0.1:7233:7233'],
      'temporal-ui': ['127.0.0.1:8233:8080'],
      'stripe-mock': ['127.0.0.1:12111:12111'],
      api: ['3000:3000'],
      prometheus: ['127.0.0.1:9090:9090'],
      grafana: ['127.0.0.1:3001:3000'],
      jaeger: ['127.0.0.1:16686:16686', '127.0.0.1:4317:4317', '127.0.0.1:4318:4318'],
    });
  });

  it('publishes everything but the API on 127.0.0.1 only: no unauthenticated Temporal gRPC or UI', () => {
    for (const [name, definition] of Object.entries(services)) {
      if (name === 'api') continue;
      for (const port of definition.ports ?? []) expect(String(port), name).toMatch(/^127\.0\.0\.1:\d+:\d+$/);
    }
  });

  it('ships none of the public development secrets: the worker and the API take them from the host', () => {
    const file = read('docker-compose.yml');
    for (const [name, value] of Object.entries(devSecrets)) expect(file, name).not.toContain(value);
    // The image runs with NODE_ENV=production, so without secrets of one's own they refuse to start.
    expect(read('Dockerfile')).toMatch(/^ENV NODE_ENV=production\b/m);
    for (const name of appServices) {
      const inImage = { ...environmentOf(name), NODE_ENV: 'production' };
      expect(() => loadConfig(inImage), name).toThrow(/AUTH_JWT_SECRET is required/);
      const given = { ...environmentOf(name, hostSecrets), NODE_ENV: 'production' };
      expect(loadConfig(given).ticketSigningSecret, name).toBe(hostSecrets.TICKET_SIGNING_SECRET);
    }
  });

  it('health-checks every service that something waits on, and the API through /readyz', () => {
    for (const name of [
      'postgres',
      'redis',
      'temporal',
      'stripe-mock',
      'api',
      'prometheus',
      'grafana',
      'jaeger',
    ]) {
      expect(service(name).healthcheck?.test, name).toBeDefined();
    }
    expect(JSON.stringify(service('api').healthcheck?.test)).toContain('http://127.0.0.1:3000/readyz');
  });

  it('waits on every dependency with the condition that fits it', () => {
    for (const [name, definition] of Object.entries(services)) {
      for (const [dependency, { condition }] of Object.entries(definition.depends_on ?? {})) {
        const target = service(dependency);
        const expected = oneShotJobs.includes(dependency)
          ? 'service_completed_successfully'
          : target.healthcheck
            ? 'service_healthy'
            : 'service_started';
        expect(condition, `${name} -> ${dependency}`).toBe(expected);
      }
    }
    for (const job of oneShotJobs) expect(service(job).restart, job).toBe('no');
  });

  it('starts the worker and the API only after the schema, the search attributes and the migrations', () => {
    for (const name of appServices) {
      expect(Object.keys(service(name).depends_on ?? {}).sort(), name).toEqual(
        expect.arrayContaining([
          'migrate',
          'postgres',
          'redis',
          'stripe-mock',
          'temporal',
          'temporal-search-attributes',
        ]),
      );
    }
    expect(service('temporal').depends_on).toHaveProperty('temporal-schema');
    expect(service('api').depends_on).toHaveProperty('worker');
  });

  it('gives the worker and the API every variable the code requires, pointing at compose services', () => {
    const required = requiredVariables();
    expect(required.sort()).toEqual(['AUTH_JWT_SECRET', 'STRIPE_SECRET_KEY']);
    for (const name of appServices) {
      const env = environmentOf(name, hostSecrets);
      for (const variable of required) expect(env[variable], `${name} ${variable}`).toBeTruthy();
      const config = loadConfig(env);
      expect(new URL(config.databaseUrl).host, name).toBe('postgres:5432');
      expect(new URL(config.redisUrl).host, name).toBe('redis:6379');
      expect(config.temporal.address, name).toBe('temporal:7233');
      expect(config.stripe.apiUrl, name).toBe('http://stripe-mock:12111');
      expect(config.port, name).toBe(3000);
    }
  });

  it('documents every variable it sets for the worker and the API in .env.example', () => {
    const documented = new Set(
      read('.env.example')
        .split('\n')
        .flatMap((line) => line.match(/^([A-Z0-9_]+)=/)?.slice(1) ?? []),
    );
    for (const name of appServices) {
      for (const variable of Object.keys(service(name).environment ?? {})) {
        expect(documented.has(variable), `${name} ${variable}`).toBe(true);
      }
    }
  });

  it('talks to real Stripe when STRIPE_API_URL is set empty on the host, and keeps given secrets', () => {
    const env = environmentOf('api', {
      STRIPE_API_URL: '',
      STRIPE_SECRET_KEY: 'sk_test_real',
      AUTH_JWT_SECRET: 'a-much-longer-secret',
    });
    const config = loadConfig(env);
    expect(config.stripe.apiUrl).toBeUndefined();
    expect(config.stripe.secretKey).toBe('sk_test_real');
    expect(config.auth.jwtSecret).toBe('a-much-longer-secret');
  });

  it('registers exactly the search attributes of workflows/search-attributes.ts', () => {
    const job = service('temporal-search-attributes');
    const registered = String(job.environment?.SEARCH_ATTRIBUTES).trim().split(/\s+/).sort();
    expect(registered).toEqual(searchAttributeKeys.map(searchAttributeFlag).sort());
    expect(job.environment?.TEMPORAL_ADDRESS).toBe('temporal:7233');
    expect(JSON.stringify(job.command)).toContain('register-search-attributes.sh');
    expect(read('deploy/temporal/register-search-attributes.sh')).toContain('$SEARCH_ATTRIBUTES');
  });

  it('gives the Temporal server the dynamic config the dev server and the tests run with', () => {
    const temporal = service('temporal');
    const mount = (temporal.volumes ?? []).find((volume) =>
      volume.includes(':/etc/temporal/config/dynamicconfig'),
    );
    expect(mount).toBeDefined();
    const hostDir = String(mount).split(':')[0] ?? '';
    const file = String(temporal.environment?.DYNAMIC_CONFIG_FILE_PATH).replace(
      /^config\/dynamicconfig\//,
      '',
    );
    const dynamicConfig = parse(read(join(hostDir, file))) as Record<string, { value: unknown }[]>;
    for (const setting of [...testingServerDynamicConfig, ...temporalDynamicConfig]) {
      const [key = '', value = ''] = setting.split('=');
      expect(dynamicConfig[key]?.[0]?.value, key).toEqual(JSON.parse(value));
    }
  });

  it('creates the databases that the Temporal schema job sets up', () => {
    const init = read('deploy/postgres/init-databases.sql');
    const setup = read('deploy/temporal/setup-schema.sh');
    for (const database of ['temporal', 'temporal_visibility']) {
      expect(init).toContain(`create database ${database};`);
      expect(setup).toMatch(new RegExp(`setup ${database} `));
    }
    const postgresVolumes = service('postgres').volumes ?? [];
    expect(postgresVolumes.some((v) => v.startsWith('./deploy/postgres/init-databases.sql:'))).toBe(true);
  });

  it('mounts only files that exist in the repository', () => {
    for (const [name, definition] of Object.entries(services)) {
      for (const volume of definition.volumes ?? []) {
        if (!volume.startsWith('./')) continue;
        const hostPath = volume.split(':')[0] ?? '';
        expect(existsSync(join(projectRoot, hostPath)), `${name}: ${hostPath}`).toBe(true);
      }
    }
  });

  it("builds the worker, the API and the migrate job from the repo's Node 20 Dockerfile", () => {
    const dockerfile = read('Dockerfile');
    expect(dockerfile).toMatch(/^FROM node:20[\w.-]*$/m);
    expect(dockerfile).toMatch(/npm ci\b/);
    for (const name of [...appServices, 'migrate']) {
      expect(service(name).build, name).toBe('.');
      // Every file a command runs exists.
      const files = JSON.stringify(service(name).command).match(/[\w/-]+\.ts/g) ?? [];
      expect(files.length, name).toBeGreaterThan(0);
      for (const file of files) expect(existsSync(join(projectRoot, file)), `${name}: ${file}`).toBe(true);
    }
  });

  it('has Prometheus scrape the API, the worker and Temporal where compose runs them, with the alert rules', () => {
    const prometheus = parse(read('deploy/prometheus/prometheus.yml')) as {
      rule_files: string[];
      scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
    };
    const targets = Object.fromEntries(
      prometheus.scrape_configs.map((job) => [job.job_name, job.static_configs[0]?.targets]),
    );
    const api = loadConfig(environmentOf('api', hostSecrets));
    const worker = loadConfig(environmentOf('worker', hostSecrets));
    const temporalMetrics = String(service('temporal').environment?.PROMETHEUS_ENDPOINT).split(':')[1];
    expect(targets).toEqual({
      'boxoffice-api': [`api:${api.port}`],
      'boxoffice-worker': [`worker:${worker.workerMetricsPort}`],
      temporal: [`temporal:${temporalMetrics}`],
    });
    const volumes = service('prometheus').volumes ?? [];
    for (const rules of prometheus.rule_files) {
      expect(volumes).toContain(`./deploy/prometheus/${rules.split('/').pop()}:${rules}:ro`);
    }
    expect(volumes).toContain('./deploy/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro');
  });

  it('provisions Grafana with the Prometheus service as its datasource and the dashboard it loads', () => {
    const volumes = service('grafana').volumes ?? [];
    expect(volumes).toContain('./deploy/grafana/provisioning:/etc/grafana/provisioning:ro');
    const datasource = (
      parse(read('deploy/grafana/provisioning/datasources/prometheus.yml')) as {
        datasources: { url: string }[];
      }
    ).datasources[0];
    expect(datasource?.url).toBe(
      `http://prometheus:${String(service('prometheus').ports?.[0]).split(':').pop()}`,
    );
    const provider = (
      parse(read('deploy/grafana/provisioning/dashboards/boxoffice.yml')) as {
        providers: { options: { path: string } }[];
      }
    ).providers[0];
    expect(volumes).toContain(`./deploy/grafana/dashboards:${provider?.options.path}:ro`);
    expect(service('grafana').environment?.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH).toBe(
      `${provider?.options.path}/boxoffice.json`,
    );
  });

  it('runs the stripe-mock version the project builds for development and tests', () => {
    const version = stripeMock.goPackage.split('@')[1];
    expect(service('stripe-mock').image).toBe(`stripe/stripe-mock:${version}`);
  });
});
