// Owns "where did the CPU go": per-process CPU time from /proc (Linux), grouped by the benchmark's
// children (each with its descendants, so tsx's node counts for the worker that launched it).
import { readdirSync, readFileSync } from 'node:fs';

interface ProcInfo {
  pid: number;
  ppid: number;
  comm: string;
  /** utime + stime in clock ticks. */
  ticks: number;
}

const ticksPerSecond = 100; // USER_HZ on every Linux this runs on

function readProcs(): Map<number, ProcInfo> {
  const procs = new Map<number, ProcInfo>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return procs;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const open = stat.indexOf('(');
      const close = stat.lastIndexOf(')');
      const fields = stat.slice(close + 2).split(' ');
      // After the command: state(0) ppid(1) ... utime(11) stime(12)
      procs.set(Number(entry), {
        pid: Number(entry),
        ppid: Number(fields[1]),
        comm: stat.slice(open + 1, close),
        ticks: Number(fields[11]) + Number(fields[12]),
      });
    } catch {
      // The process ended while we looked.
    }
  }
  return procs;
}

export type CpuSample = Record<string, number>;

/** CPU seconds per process of the shared services, so a delta can skip processes that came or went. */
const sharedTicks = new WeakMap<CpuSample, Map<number, number>>();

/**
 * CPU seconds used so far by this process ('bench'), each named child tree (`roots`: name -> pid) and,
 * machine-wide, by every process whose command is one of `shared` (e.g. postgres, redis-server:
 * other users of the machine count there too).
 */
export function sampleCpu(roots: Record<string, number | undefined>, shared: string[]): CpuSample {
  const procs = readProcs();
  const children = new Map<number, number[]>();
  for (const proc of procs.values()) {
    const list = children.get(proc.ppid) ?? [];
    list.push(proc.pid);
    children.set(proc.ppid, list);
  }
  const treeTicks = (pid: number): number => {
    const proc = procs.get(pid);
    if (!proc) return 0;
    return proc.ticks + (children.get(pid) ?? []).reduce((sum, child) => sum + treeTicks(child), 0);
  };
  const sample: CpuSample = { bench: (procs.get(process.pid)?.ticks ?? 0) / ticksPerSecond };
  for (const [name, pid] of Object.entries(roots)) {
    if (pid !== undefined) sample[name] = treeTicks(pid) / ticksPerSecond;
  }
  const perPid = new Map<number, number>();
  for (const comm of shared) {
    let ticks = 0;
    for (const proc of procs.values()) {
      if (proc.comm !== comm) continue;
      ticks += proc.ticks;
      perPid.set(proc.pid, proc.ticks);
      commOfShared.set(proc.pid, `${comm} (machine)`);
    }
    sample[`${comm} (machine)`] = ticks / ticksPerSecond;
  }
  sharedTicks.set(sample, perPid);
  return sample;
}

/**
 * CPU seconds spent between two samples, per name, rounded to 0.01 s. Shared services count only the
 * processes alive at both samples (short-lived Postgres backends of other users come and go).
 */
export function cpuSpent(before: CpuSample, after: CpuSample): CpuSample {
  const spent: CpuSample = {};
  const pidsBefore = sharedTicks.get(before);
  const pidsAfter = sharedTicks.get(after);
  for (const [name, value] of Object.entries(after)) {
    spent[name] = Math.round((value - (before[name] ?? 0)) * 100) / 100;
  }
  if (pidsBefore && pidsAfter) {
    const byComm = new Map<string, number>();
    for (const name of Object.keys(after).filter((n) => n.endsWith(' (machine)'))) byComm.set(name, 0);
    for (const [pid, ticks] of pidsAfter) {
      const earlier = pidsBefore.get(pid);
      if (earlier === undefined) continue;
      const name = commOfShared.get(pid);
      if (name) byComm.set(name, (byComm.get(name) ?? 0) + (ticks - earlier) / ticksPerSecond);
    }
    for (const [name, seconds] of byComm) spent[name] = Math.round(seconds * 100) / 100;
  }
  return spent;
}

/** Which shared service a pid belonged to when it was sampled. */
const commOfShared = new Map<number, string>();

/** The pid of this process's direct child running `comm` (e.g. the Temporal dev server), if any. */
export function childNamed(comm: string): number | undefined {
  for (const proc of readProcs().values()) {
    if (proc.ppid === process.pid && proc.comm === comm) return proc.pid;
  }
  return undefined;
}
