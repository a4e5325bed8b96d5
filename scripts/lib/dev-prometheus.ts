// Owns the Prometheus that `npm run dev` runs beside the stack when Debian's `prometheus` package (or any
// `prometheus` on PATH) is installed: its config under .data/prometheus/ with the same jobs as
// docker-compose's deploy/prometheus/prometheus.yml, pointed at the host's ports, and Boxoffice's alert
// rules; its command line; and waiting until it is ready. Never required: without it the stack runs and
// says how to install it.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { onPath, projectRoot } from './binaries';

/** The alert rules every Prometheus of Boxoffice loads. */
export const alertRulesPath = join(projectRoot, 'deploy', 'prometheus', 'alerts.yml');

/** Scrape jobs by name (the names the alerts and the dashboard select on) and their host:port. */
export interface ScrapeTargets {
  'boxoffice-api': string;
  'boxoffice-worker': string;
  temporal?: string;
}

export const prometheusInstallHint =
  'Prometheus is not installed, so none runs beside the stack: `sudo apt-get install prometheus` ' +
  '(Debian/Ubuntu; any `prometheus` on PATH will do) and `npm run dev` starts one with the alert rules';

export function findPrometheus(): string | undefined {
  return onPath('prometheus');
}

/** The YAML of a Prometheus that scrapes `targets` every `scrapeInterval` and evaluates the alert rules. */
export function prometheusConfig(targets: ScrapeTargets, scrapeInterval = '5s'): string {
  return stringify({
    global: { scrape_interval: scrapeInterval, evaluation_interval: scrapeInterval },
    rule_files: [alertRulesPath],
    scrape_configs: Object.entries(targets)
      .filter(([, target]) => target !== undefined)
      .map(([job, target]) => ({ job_name: job, static_configs: [{ targets: [target] }] })),
  });
}

/**
 * Writes the config into `dir` (its data beside it, in `dir`/data) and returns the command line of a
 * Prometheus listening on `listen` (host:port).
 */
export function preparePrometheus(options: {
  dir: string;
  listen: string;
  targets: ScrapeTargets;
  scrapeInterval?: string;
}): string[] {
  mkdirSync(join(options.dir, 'data'), { recursive: true });
  const configFile = join(options.dir, 'prometheus.yml');
  writeFileSync(configFile, prometheusConfig(options.targets, options.scrapeInterval));
  return [
    `--config.file=${configFile}`,
    `--storage.tsdb.path=${join(options.dir, 'data')}`,
    `--web.listen-address=${options.listen}`,
    // A development store: a day of samples is plenty, and the disk stays small.
    '--storage.tsdb.retention.time=1d',
    '--log.level=warn',
  ];
}

/** Resolves once the Prometheus at `url` says it is ready, or rejects after `timeoutMs`. */
export async function waitForPrometheus(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(2000) });
      if (response.ok) return;
      last = `${response.status}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`Prometheus at ${url} was not ready within ${timeoutMs / 1000} s (last: ${last})`);
}
