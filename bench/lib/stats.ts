// Owns the arithmetic and bookkeeping every benchmark shares: latency percentiles, rates, machine load,
// and writing a run to bench/results/<name>.json + <name>.md.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../scripts/lib/binaries';

export interface Latency {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentiles in milliseconds, rounded to 0.1 ms; zeros for an empty sample. */
export function latency(samples: readonly number[]): Latency {
  if (samples.length === 0) return { count: 0, p50: 0, p95: 0, p99: 0, max: 0 };
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] as number;
  const round = (ms: number) => Math.round(ms * 10) / 10;
  return {
    count: sorted.length,
    p50: round(at(0.5)),
    p95: round(at(0.95)),
    p99: round(at(0.99)),
    max: round(sorted[sorted.length - 1] as number),
  };
}

/** Events per second over a window in milliseconds, to one decimal. */
export function perSecond(count: number, windowMs: number): number {
  return windowMs > 0 ? Math.round((count * 10_000) / windowMs) / 10 : 0;
}

export interface MachineLoad {
  cpus: number;
  /** 1, 5 and 15 minute load averages. */
  loadavg: [number, number, number];
}

export function machineLoad(): MachineLoad {
  const [one, five, fifteen] = loadavg().map((value) => Math.round(value * 100) / 100);
  return { cpus: cpus().length, loadavg: [one ?? 0, five ?? 0, fifteen ?? 0] };
}

/** Where a run ran, for its results: the machine, Node, and the load average at its start and end. */
export interface RunEnvironment {
  cpus: number;
  node: string;
  loadAverageAtStart: number[];
  loadAverageAtEnd: number[];
}

/** The run's environment, read at its end (`loadAtStart` was read when it began). */
export function runEnvironment(loadAtStart: MachineLoad): RunEnvironment {
  return {
    cpus: loadAtStart.cpus,
    node: process.version,
    loadAverageAtStart: loadAtStart.loadavg,
    loadAverageAtEnd: machineLoad().loadavg,
  };
}

export function gitCommit(): string | undefined {
  const git = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: projectRoot, encoding: 'utf8' });
  return git.status === 0 ? git.stdout.trim() : undefined;
}

export const resultsDir = join(projectRoot, 'bench', 'results');

/** Writes `<name>.json` (everything) and `<name>.md` (for people) under bench/results. */
export function writeResults(name: string, json: unknown, markdown: string): { json: string; md: string } {
  mkdirSync(resultsDir, { recursive: true });
  const paths = { json: join(resultsDir, `${name}.json`), md: join(resultsDir, `${name}.md`) };
  writeFileSync(paths.json, `${JSON.stringify(json, null, 2)}\n`);
  writeFileSync(paths.md, markdown.endsWith('\n') ? markdown : `${markdown}\n`);
  return paths;
}

/** A markdown table; every cell is stringified. */
export function markdownTable(header: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.map(String).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}
