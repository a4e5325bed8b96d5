// The monitoring that ships in deploy/: the alert rules pass `promtool check rules` and their unit tests
// (`promtool test rules`, Debian's `prometheus` package; skipped, saying so, only where it is missing),
// carry DESIGN.md's thresholds, a severity and a runbook section that exists in docs/support.md; the
// Grafana dashboard reads only from the datasource Grafana is provisioned with.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { onPath, projectRoot } from '../../scripts/lib/binaries';

const read = (path: string) => readFileSync(join(projectRoot, path), 'utf8');

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels: { severity: string };
  annotations: { summary: string; runbook_url: string };
}
const rules = (parse(read('deploy/prometheus/alerts.yml')) as { groups: { rules: Rule[] }[] }).groups.flatMap(
  (group) => group.rules,
);
const rule = (name: string): Rule => {
  const found = rules.find((candidate) => candidate.alert === name);
  if (!found) throw new Error(`alerts.yml has no alert ${name}`);
  return found;
};

/** GitHub's anchor of a Markdown heading. */
const anchorOf = (heading: string) =>
  heading
    .toLowerCase()
    .replace(/[^\w\s-]/g, '')
    .trim()
    .replace(/\s/g, '-');

const promtool = onPath('promtool');
if (!promtool) {
  process.stderr.write(
    'rules.test: no `promtool` on PATH (apt-get install prometheus): promtool checks are skipped\n',
  );
}

describe('the alert rules', () => {
  it.skipIf(!promtool)('pass promtool check rules', () => {
    const out = execFileSync(promtool as string, ['check', 'rules', 'deploy/prometheus/alerts.yml'], {
      cwd: projectRoot,
      encoding: 'utf8',
    });
    expect(out).toContain(`SUCCESS: ${rules.length} rules found`);
  });

  it.skipIf(!promtool)('fire on the series they are meant for, and only then (promtool test rules)', () => {
    const out = execFileSync(promtool as string, ['test', 'rules', 'alerts.test.yml'], {
      cwd: join(projectRoot, 'deploy', 'prometheus'),
      encoding: 'utf8',
    });
    expect(out).toContain('SUCCESS');
  });

  it("carry DESIGN.md's thresholds", () => {
    expect(rule('ConfirmLatencyHigh').expr).toMatch(
      /histogram_quantile\(0\.99,.*boxoffice_confirm_duration_seconds_bucket.*> 1\.5$/,
    );
    expect(rule('ConfirmLatencyCritical').expr).toMatch(/> 1\.8$/);
    expect(rule('ServerErrorRateHigh').expr).toMatch(/status=~"5\.\."[\s\S]*> 0\.001\s*$/);
    expect(rule('DatabaseConflictRateHigh').expr).toMatch(
      /serialization_failure\|deadlock_detected[\s\S]*> 0\.05\s*$/,
    );
    expect(rule('TaskBacklogOld').expr).toMatch(/approximate_backlog_age_seconds\) > 300$/);
    expect(rule('SeatsHeldPastLease').expr).toBe('max(boxoffice_seats_held_past_lease) > 0');
    expect(rule('ConfirmLatencyHigh').labels.severity).toBe('warning');
    expect(rule('ConfirmLatencyCritical').labels.severity).toBe('critical');
  });

  it('give each alert a severity and a runbook section that exists', () => {
    const anchors = new Set(
      [...read('docs/support.md').matchAll(/^#{2,4} (.+)$/gm)].map(([, heading = '']) => anchorOf(heading)),
    );
    for (const { alert, labels, annotations } of rules) {
      expect(['warning', 'critical'], alert).toContain(labels.severity);
      expect(annotations.summary, alert).toBeTruthy();
      const [file, anchor = ''] = annotations.runbook_url.split('#');
      expect(file, alert).toBe('docs/support.md');
      expect(anchors.has(anchor), `${alert}: #${anchor}`).toBe(true);
    }
  });
});

describe('the Grafana dashboard', () => {
  const dashboard = JSON.parse(read('deploy/grafana/dashboards/boxoffice.json')) as {
    uid: string;
    panels: {
      type: string;
      title: string;
      datasource?: { uid: string };
      targets?: { expr: string; datasource: { uid: string } }[];
    }[];
    templating: { list: { datasource: { uid: string } }[] };
  };
  const provisioned = parse(read('deploy/grafana/provisioning/datasources/prometheus.yml')) as {
    datasources: { uid: string; type: string; url: string }[];
  };

  it('reads every panel and variable from the provisioned Prometheus datasource', () => {
    const [datasource] = provisioned.datasources;
    expect(datasource?.type).toBe('prometheus');
    const panels = dashboard.panels.filter((panel) => panel.type !== 'row');
    expect(panels.length).toBeGreaterThan(15);
    for (const panel of panels) {
      expect(panel.datasource?.uid, panel.title).toBe(datasource?.uid);
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      for (const target of panel.targets ?? []) {
        expect(target.datasource.uid, panel.title).toBe(datasource?.uid);
        expect(target.expr, panel.title).toBeTruthy();
      }
    }
    for (const variable of dashboard.templating.list) expect(variable.datasource.uid).toBe(datasource?.uid);
  });

  it("tells the onsale's story: holds, rejections, latency, payments against the limit, declines, refunds, Temporal, 5xx", () => {
    const titles = dashboard.panels.map((panel) => panel.title).join('\n');
    for (const subject of [
      /Holds per second/,
      /Rejections per second/,
      /Hold latency/,
      /Confirm latency/,
      /Payment queue backlog/,
      /Payment rate vs the limit/,
      /declines/,
      /Refunds/,
      /schedule-to-start/,
      /Task backlog/,
      /5xx/,
    ]) {
      expect(titles).toMatch(subject);
    }
  });
});
