// Owns "where did the CPU go": per-process CPU time from /proc (Linux), grouped by the benchmark's
// children (each with its descendants, so tsx's node counts for the worker that launched it), and by
// the processes of a shared service that work for one of them (Postgres backends by their database).
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
 * Processes of a shared service that one component owns, told apart by their title (/proc cmdline):
 * the real Temporal server's Postgres backends show its database, `postgres: 15/main: postgres
 * temporal_bench 127.0.0.1(41234) idle`. They count under `name`, not under the service.
 */
export interface Claimed {
  name: string;
  comm: string;
  title: RegExp;
}

/** A sample's claims by name, and the CPU ticks of each claimed process with its claim's name. */
const claimedTicks = new WeakMap<
  CpuSample,
  { names: string[]; pids: Map<number, { name: string; ticks: number }> }
>();

function titleOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

/**
 * CPU seconds used so far by this process ('bench'), each named child tree (`roots`: name -> pid) and,
 * machine-wide, by every process whose command is one of `shared` (e.g. postgres, redis-server:
 * other users of the machine count there too) and is not one of `claimed`.
 */
export function sampleCpu(
  roots: Record<string, number | undefined>,
  shared: string[],
  claimed: Claimed[] = [],
): CpuSample {
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
  const perClaimed = new Map<number, { name: string; ticks: number }>();
  for (const claim of claimed) sample[claim.name] = 0;
  for (const proc of procs.values()) {
    const claim = claimed.find((c) => c.comm === proc.comm && c.title.test(titleOf(proc.pid)));
    if (!claim) continue;
    perClaimed.set(proc.pid, { name: claim.name, ticks: proc.ticks });
    sample[claim.name] = (sample[claim.name] ?? 0) + proc.ticks / ticksPerSecond;
  }
  claimedTicks.set(sample, { names: claimed.map((c) => c.name), pids: perClaimed });
  const perPid = new Map<number, number>();
  for (const comm of shared) {
    let ticks = 0;
    for (const proc of procs.values()) {
      if (proc.comm !== comm || perClaimed.has(proc.pid)) continue;
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
  // A claimed process counts from the first sample or its start, whichever came later; one that ended
  // in between took its ticks with it (counted as nothing rather than as a negative).
  const claimedBefore = claimedTicks.get(before);
  const claimedAfter = claimedTicks.get(after);
  if (claimedBefore && claimedAfter) {
    const byName = new Map(claimedAfter.names.map((name) => [name, 0]));
    for (const [pid, { name, ticks }] of claimedAfter.pids) {
      const earlier = claimedBefore.pids.get(pid)?.ticks ?? 0;
      byName.set(name, (byName.get(name) ?? 0) + (ticks - earlier) / ticksPerSecond);
    }
    for (const [name, seconds] of byName) spent[name] = Math.round(seconds * 100) / 100;
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
