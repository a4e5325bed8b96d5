// The monitoring against the real stack (app served over HTTP, workers, the Temporal test server): every
// metric name the Grafana dashboard and the alert rules query is one that Boxoffice, the Temporal SDK or
// the Temporal server exports; and a real Prometheus (Debian's `prometheus`; skipped, saying so, only
// where it is not installed) scrapes all three with the dev stack's config, evaluates every alert rule,
// and answers a business metric that a checkout moved through its HTTP API.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse } from 'yaml';
import { projectRoot } from '../../scripts/lib/binaries';
import { findPrometheus, preparePrometheus, waitForPrometheus } from '../../scripts/lib/dev-prometheus';
import { freePort } from '../../scripts/lib/ports';
import { createLogger } from '../../src/platform/logger';
import type { MetricsServer } from '../../src/platform/metrics';
import { installTemporalMetrics, serveWorkerMetrics } from '../../workers/metrics';
import { scrape } from '../helpers/metrics';
import { listen, startTestStack, type TestStack } from '../helpers/stack';
import { testRuntimeLogger } from '../helpers/temporal';

const read = (path: string) => readFileSync(join(projectRoot, path), 'utf8');

/** Every PromQL expression the alert rules and the dashboard (panels and variables) evaluate. */
function shippedQueries(): { where: string; expr: string }[] {
  const rules = parse(read('deploy/prometheus/alerts.yml')) as {
    groups: { rules: { alert: string; expr: string }[] }[];
  };
  const dashboard = JSON.parse(read('deploy/grafana/dashboards/boxoffice.json')) as {
    panels: { title: string; targets?: { expr: string }[] }[];
    templating: { list: { name: string; definition: string }[] };
  };
  return [
    ...rules.groups.flatMap((group) =>
      group.rules.map((rule) => ({ where: `alert ${rule.alert}`, expr: rule.expr })),
    ),
    ...dashboard.panels.flatMap((panel) =>
      (panel.targets ?? []).map((target) => ({ where: `panel ${panel.title}`, expr: target.expr })),
    ),
    ...dashboard.templating.list.map((variable) => ({
      where: `variable ${variable.name}`,
      // label_values(metric, label): only the metric is a name.
      expr: variable.definition.replace(/^label_values\((\w+),.*\)$/, '$1'),
    })),
  ];
}

const promqlWords = new Set(
  'sum max min avg count rate irate increase histogram_quantile by without on ignoring group_left group_right or and unless bool offset'.split(
    ' ',
  ),
);

/** The metric names a PromQL expression reads: what is left once strings, matchers, ranges and grouping go. */
function metricNamesIn(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\b(by|without|on|ignoring)\s*\([^)]*\)/g, '');
  return [...bare.matchAll(/[a-zA-Z_:][\w:]*/g)]
    .map(([word]) => word)
    .filter((word) => !promqlWords.has(word));
}

const prometheusBinary = findPrometheus();
if (!prometheusBinary) {
  process.stderr.write(
    'prometheus.test: no `prometheus` on PATH (apt-get install prometheus): the real-Prometheus tests are skipped\n',
  );
}

describe('monitoring against the real stack', () => {
  let stack: TestStack;
  let api: { url: string; close(): Promise<void> };
  let worker: MetricsServer;
  const dir = mkdtempSync(join(tmpdir(), 'boxoffice-prometheus-'));
  let prometheus: ChildProcess | undefined;
  let url: string;
  const port = (address: string) => new URL(address).port;

  /** A Prometheus scraping the stack every second with the dev stack's config. */
  async function startPrometheus(binary: string): Promise<void> {
    url = `http://127.0.0.1:${await freePort()}`;
    const args = preparePrometheus({
      dir,
      listen: `127.0.0.1:${port(url)}`,
      scrapeInterval: '1s',
      targets: {
        'boxoffice-api': `127.0.0.1:${port(api.url)}`,
        'boxoffice-worker': `127.0.0.1:${worker.port}`,
        temporal: `127.0.0.1:${port(inject('temporalMetricsUrl'))}`,
      },
    });
    prometheus = spawn(binary, args, { stdio: 'ignore' });
    await waitForPrometheus(url, 30_000);
  }

  beforeAll(async () => {
    const temporalMetricsUrl = await installTemporalMetrics({ logger: testRuntimeLogger });
    stack = await startTestStack('prometheus');
    api = await listen((request) => stack.app.fetch(request));
    worker = await serveWorkerMetrics({
      metrics: stack.workerMetrics,
      port: 0,
      host: '127.0.0.1',
      temporalMetricsUrl,
      log: createLogger('silent', 'prometheus-test'),
    });
    const eventId = await stack.createEvent({ seats: 2 });
    await stack.buy(eventId, ['A-1-1']);
    if (prometheusBinary) await startPrometheus(prometheusBinary);
  });

  afterAll(async () => {
    if (prometheus?.exitCode === null) {
      const exited = new Promise((resolve) => prometheus?.once('exit', resolve));
      prometheus.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
    await api?.close();
    await worker?.close();
    await stack?.stop();
  });

  it('queries only metric names that the code, the Temporal SDK or the Temporal server exports', async () => {
    const ours = new Set([
      // Prometheus's own, for every target.
      'up',
      ...(await scrape(stack.app)).names,
      ...(await scrape(`http://127.0.0.1:${worker.port}/metrics`)).names,
    ]);
    const queries = shippedQueries();
    expect(queries.length).toBeGreaterThan(20);
    const unknownWith = (exported: Set<string>) =>
      queries.flatMap(({ where, expr }) =>
        metricNamesIn(expr)
          .filter((name) => !ours.has(name) && !exported.has(name))
          .map((name) => `${where}: ${name}`),
      );
    // The server reports a task queue's backlog a few seconds after the queue first had tasks.
    const deadline = Date.now() + 60_000;
    let unknown = unknownWith(await fetchNames(inject('temporalMetricsUrl')));
    while (unknown.length > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      unknown = unknownWith(await fetchNames(inject('temporalMetricsUrl')));
    }
    expect(unknown).toEqual([]);
  });

  describe.skipIf(!prometheusBinary)('a real Prometheus', () => {
    /** GETs a Prometheus API path until `done` accepts its data, for at most 30 s. */
    async function until<T>(path: string, done: (data: T) => boolean): Promise<T> {
      const deadline = Date.now() + 30_000;
      let data: T | undefined;
      while (Date.now() < deadline) {
        const body = (await (await fetch(`${url}${path}`)).json()) as { status: string; data: T };
        expect(body.status).toBe('success');
        data = body.data;
        if (done(data)) return data;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      throw new Error(`${path} never satisfied the test; last answer: ${JSON.stringify(data)}`);
    }

    it('scrapes the API, the worker and Temporal', async () => {
      type Targets = { activeTargets: { labels: { job: string }; health: string }[] };
      const targets = await until<Targets>(
        '/api/v1/targets',
        (data) =>
          data.activeTargets.length === 3 && data.activeTargets.every((target) => target.health === 'up'),
      );
      expect(targets.activeTargets.map((target) => target.labels.job).sort()).toEqual([
        'boxoffice-api',
        'boxoffice-worker',
        'temporal',
      ]);
    });

    it('reads the confirmed checkout back through its HTTP API', async () => {
      type Vector = { result: { value: [number, string] }[] };
      const query = encodeURIComponent('sum(boxoffice_confirms_total{outcome="confirmed"})');
      const answer = await until<Vector>(`/api/v1/query?query=${query}`, (data) => data.result.length > 0);
      expect(Number(answer.result[0]?.value[1])).toBe(1);
    });

    it('evaluates every alert rule without an error', async () => {
      type Rules = { groups: { rules: { name: string; health: string; lastError?: string }[] }[] };
      const rules = await until<Rules>(
        '/api/v1/rules',
        (data) =>
          data.groups.length > 0 &&
          data.groups.every((group) => group.rules.every((rule) => rule.health !== 'unknown')),
      );
      const all = rules.groups.flatMap((group) => group.rules);
      expect(all.length).toBe(8);
      expect(all.filter((rule) => rule.health !== 'ok')).toEqual([]);
    });
  });
});

async function fetchNames(url: string): Promise<Set<string>> {
  // The Temporal server's metrics are not Boxoffice's: read their names, not their exact format.
  const text = await (await fetch(url)).text();
  return new Set([...text.matchAll(/^([a-zA-Z_:][\w:]*)[{ ]/gm)].map(([, name = '']) => name));
}
