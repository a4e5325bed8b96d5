// Checks the Prometheus `npm run dev` runs beside the stack: its config has docker-compose's jobs (the
// names the alerts and the dashboard select on) pointed at the given ports, loads the alert rules, and
// passes `promtool check config`; without a `prometheus` on PATH the dev stack is told how to get one.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { onPath, projectRoot } from '../../scripts/lib/binaries';
import {
  alertRulesPath,
  findPrometheus,
  preparePrometheus,
  prometheusConfig,
  prometheusInstallHint,
} from '../../scripts/lib/dev-prometheus';

interface PrometheusYaml {
  rule_files: string[];
  scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
}

const jobsOf = (config: PrometheusYaml) =>
  Object.fromEntries(config.scrape_configs.map((job) => [job.job_name, job.static_configs[0]?.targets]));

describe('the dev Prometheus', () => {
  const dir = mkdtempSync(join(tmpdir(), 'boxoffice-dev-prometheus-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const targets = {
    'boxoffice-api': '127.0.0.1:3000',
    'boxoffice-worker': '127.0.0.1:9464',
    temporal: '127.0.0.1:9233',
  };

  it("scrapes docker-compose's jobs on the host's ports and evaluates the alert rules", () => {
    const config = parse(prometheusConfig(targets)) as PrometheusYaml;
    expect(jobsOf(config)).toEqual({
      'boxoffice-api': ['127.0.0.1:3000'],
      'boxoffice-worker': ['127.0.0.1:9464'],
      temporal: ['127.0.0.1:9233'],
    });
    const compose = parse(readFileSync(join(projectRoot, 'deploy/prometheus/prometheus.yml'), 'utf8'));
    expect(Object.keys(jobsOf(compose)).sort()).toEqual(Object.keys(targets).sort());
    expect(config.rule_files).toEqual([alertRulesPath]);
  });

  it('writes a config that promtool accepts, with the data beside it', () => {
    const args = preparePrometheus({ dir, listen: '127.0.0.1:9090', targets });
    expect(args).toContain(`--config.file=${join(dir, 'prometheus.yml')}`);
    expect(args).toContain(`--storage.tsdb.path=${join(dir, 'data')}`);
    expect(args).toContain('--web.listen-address=127.0.0.1:9090');
    const promtool = onPath('promtool');
    if (!promtool) {
      process.stderr.write('promtool not found (apt-get install prometheus): config not checked by it\n');
      return;
    }
    expect(
      execFileSync(promtool, ['check', 'config', join(dir, 'prometheus.yml')], { encoding: 'utf8' }),
    ).toMatch(/SUCCESS/);
  });

  it('is found on PATH only, and without it the stack says how to install it', () => {
    const path = process.env.PATH;
    try {
      process.env.PATH = dir;
      expect(findPrometheus()).toBeUndefined();
    } finally {
      process.env.PATH = path;
    }
    expect(prometheusInstallHint).toContain('apt-get install prometheus');
  });
});
