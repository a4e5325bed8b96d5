// Owns a benchmark's CPU profiles and their report: Linux perf samples the whole machine while the phases
// run (the Temporal server is Go, with its symbols; the worker's Rust core and V8's own native code show
// there too), and node --cpu-prof writes each Node process's JavaScript profile when it stops. The report
// says, per component, which code its samples landed in.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { projectRoot } from '../../scripts/lib/binaries';

export interface PerfRecording {
  /** Ends the recording (SIGINT, as perf expects) and waits until perf.data is written. */
  stop(): Promise<void>;
}

/** Samples every CPU at `hz` into `dir`/perf.data; undefined (and a line saying why) without perf. */
export function startPerf(dir: string, log: (line: string) => void, hz = 99): PerfRecording | undefined {
  if (spawnSync('perf', ['--version']).status !== 0) {
    log('perf is not installed (Debian: linux-perf): no machine-wide profile, only the V8 ones');
    return undefined;
  }
  const perf: ChildProcess = spawn('perf', ['record', '-F', String(hz), '-a', '-o', join(dir, 'perf.data')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  perf.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => perf.once('exit', () => resolve()));
  return {
    async stop() {
      perf.kill('SIGINT');
      await exited;
      if (!stderr.includes('Captured and wrote')) log(`perf: ${stderr.trim().split('\n').at(-1) ?? ''}`);
    },
  };
}

interface Line {
  share: number;
  what: string;
}

/** Counts, sorted, the first `limit` as shares of `total`. */
function topShares(counts: Map<string, number>, total: number, limit: number): Line[] {
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([what, n]) => ({ what, share: Math.round((n / (total || 1)) * 1000) / 10 }));
}

const add = (counts: Map<string, number>, key: string) => counts.set(key, (counts.get(key) ?? 0) + 1);

/** A Go symbol's package (`go.temporal.io/server/service/history/api.(*x).y` -> `.../history/api`). */
function goPackage(symbol: string): string {
  const slash = symbol.lastIndexOf('/', symbol.indexOf('(') === -1 ? undefined : symbol.indexOf('('));
  const dot = symbol.indexOf('.', slash + 1);
  return dot === -1 ? symbol : symbol.slice(0, dot);
}

interface PerfProcess {
  comm: string;
  samples: number;
  dsos: Map<string, number>;
  symbols: Map<string, number>;
  packages: Map<string, number>;
}

/** Every sample of perf.data, by process: its shared objects, symbols and (Go) packages. */
function perfProcesses(dir: string): { total: number; processes: Map<number, PerfProcess> } {
  const script = spawnSync('perf', ['script', '-i', join(dir, 'perf.data'), '-F', 'comm,pid,ip,sym,dso'], {
    encoding: 'utf8',
    maxBuffer: 1024 * 1024 * 1024,
  });
  const processes = new Map<number, PerfProcess>();
  let total = 0;
  for (const line of script.stdout.split('\n')) {
    const match = /^\s*(.+?)\s+(\d+)\s+[0-9a-f]+\s+(.*?)\s*\(([^()]*)\)\s*$/.exec(line);
    if (!match) continue;
    const [, comm = '', pid = '0', symbol = '', dsoPath = ''] = match;
    total += 1;
    const dso = dsoPath.split('/').at(-1) ?? dsoPath;
    let process = processes.get(Number(pid));
    if (!process) {
      process = { comm, samples: 0, dsos: new Map(), symbols: new Map(), packages: new Map() };
      processes.set(Number(pid), process);
    }
    process.samples += 1;
    add(process.dsos, dso);
    add(process.symbols, `${dso} ${shortSymbol(symbol) || '[unknown]'}`);
    add(process.packages, dso.startsWith('[') || symbol === '' ? dso : goPackage(symbol));
  }
  return { total, processes };
}

interface CpuProfile {
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
    hitCount?: number;
  }[];
  startTime: number;
  endTime: number;
  samples: number[];
}

/** Where a V8 frame's code lives: a package, this project, Node itself, or V8's own work. */
function ownerOf(url: string, functionName: string): string {
  if (url === '') return capped(functionName || '(native)');
  if (url.startsWith('node:')) return 'node internals';
  const path = url.replace(/^file:\/\//, '');
  const inPackage = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  if (inPackage) return inPackage[1] ?? path;
  return path.startsWith(projectRoot) ? `boxoffice ${relative(projectRoot, path).split('/')[0]}/` : path;
}

/** A V8 profile's busy time (all but idle) by owner and by function, as shares of the busy samples. */
function v8Lines(
  file: string,
  limit: number,
): { owners: Line[]; functions: Line[]; seconds: number; busyShare: number } {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const owners = new Map<string, number>();
  const functions = new Map<string, number>();
  let busy = 0;
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    const { functionName, url, lineNumber } = node.callFrame;
    if (hits === 0 || (url === '' && functionName === '(idle)')) continue;
    busy += hits;
    const owner = ownerOf(url, functionName);
    owners.set(owner, (owners.get(owner) ?? 0) + hits);
    const name = capped(url === '' ? owner : `${functionName || '(anonymous)'} (${owner}:${lineNumber + 1})`);
    functions.set(name, (functions.get(name) ?? 0) + hits);
  }
  return {
    owners: topShares(owners, busy, limit),
    functions: topShares(functions, busy, limit),
    seconds: Math.round((profile.endTime - profile.startTime) / 1e5) / 10,
    busyShare: Math.round((busy / (profile.samples.length || 1)) * 1000) / 10,
  };
}

/** A symbol short enough for a table: Rust's and C++'s nested generic arguments collapse to `<…>`. */
function shortSymbol(symbol: string): string {
  let short = symbol;
  for (let before = ''; before !== short; ) {
    before = short;
    short = short.replace(/<[^<>]*>/g, '‹…›');
  }
  return capped(short.replaceAll('‹…›', '<…>'));
}

/** Long names (a RegExp's source, a mangled symbol) cut to what a table cell can show. */
function capped(name: string): string {
  return name.length > 160 ? `${name.slice(0, 157)}...` : name;
}

const table = (lines: Line[], heading: string) =>
  [
    `| share | ${heading} |`,
    '| ---: | --- |',
    ...lines.map((line) => `| ${line.share}% | \`${line.what}\` |`),
  ].join('\n');

/**
 * The report of a profiled run: which processes the machine's samples went to, then for each component
 * (`pids`: name -> pid) perf's split of its samples by shared object, by package and by symbol, and for
 * the Node ones each thread's V8 profile by package and by function.
 */
export function profileReport(dir: string, pids: Record<string, number | undefined>, limit = 15): string {
  const sections: string[] = [];
  const files = readdirSync(dir);
  const named = new Map(
    Object.entries(pids).flatMap(([name, pid]) => (pid === undefined ? [] : [[pid, name]])),
  );
  if (files.includes('perf.data')) {
    const { total, processes } = perfProcesses(dir);
    const byProcess = new Map(
      [...processes].map(([pid, process]) => [named.get(pid) ?? `${process.comm} (other)`, process.samples]),
    );
    const merged = new Map<string, number>();
    for (const [name, samples] of byProcess) merged.set(name, (merged.get(name) ?? 0) + samples);
    sections.push(
      `perf: ${total} samples (99 Hz on each CPU; idle CPUs count as \`swapper\`).`,
      table(topShares(merged, total, limit), 'process'),
    );
    for (const [pid, name] of named) {
      const process = processes.get(pid);
      if (!process) continue;
      sections.push(
        `## ${name} (pid ${pid}): perf, ${process.samples} samples`,
        table(topShares(process.dsos, process.samples, 8), 'shared object'),
        // Node's samples have no packages perf can see (its JavaScript is in the V8 tables below).
        ...(process.comm === 'node'
          ? []
          : [table(topShares(process.packages, process.samples, limit), 'Go package or shared object')]),
        table(topShares(process.symbols, process.samples, limit), 'shared object, symbol'),
      );
    }
  }
  for (const [pid, name] of named) {
    // node --cpu-prof names its files CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile.
    for (const file of files.filter((f) => f.endsWith('.cpuprofile') && f.split('.')[3] === String(pid))) {
      const v8 = v8Lines(join(dir, file), limit);
      const thread = file.split('.')[4] === '0' ? 'main thread' : `thread ${file.split('.')[4]}`;
      // A thread that only loaded modules (tsx's loader) says nothing about the run.
      if (v8.busyShare < 1) {
        sections.push(`## ${name} (pid ${pid}): V8, ${thread}: busy ${v8.busyShare}% of ${v8.seconds} s`);
        continue;
      }
      sections.push(
        `## ${name} (pid ${pid}): V8, ${thread}: busy ${v8.busyShare}% of ${v8.seconds} s (\`${file}\`)`,
        "Shares of the thread's busy time (idle left out).",
        table(v8.owners, 'self time in'),
        table(v8.functions, 'function (self time)'),
      );
    }
  }
  return sections.join('\n\n');
}
