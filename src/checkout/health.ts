// Owns the checkout path's health signal, which the waiting room steers by: each API process reports,
// every second, the p99 of its recent holds and how full its payment admission is; the onsale workflow
// reads every live process's report (activities/onsale.ts). Reports expire with their process.
import type { Redis } from '../platform/redis';

const reportsKey = 'checkout:health';
/** A process's report older than this is ignored: the process is gone or stuck. */
const freshMs = 5000;
/** A report this old is removed: its process has stopped. */
const forgetMs = 60_000;

export interface HealthReport {
  at: number;
  /** p99 of the holds answered in the last window, ms; null when there were none. */
  holdP99Ms: number | null;
  /** Confirms in flight over the payment admission's capacity (api/workflows/payment-admission.ts). */
  confirmLoad: number;
}

/** The latencies of the last `windowMs`, kept in a ring of at most `capacity` samples. */
export function createLatencyWindow(windowMs = 10_000, capacity = 2048) {
  const at = new Float64Array(capacity);
  const ms = new Float64Array(capacity);
  let next = 0;
  let size = 0;
  return {
    record(latencyMs: number, now = Date.now()): void {
      at[next] = now;
      ms[next] = latencyMs;
      next = (next + 1) % capacity;
      size = Math.min(size + 1, capacity);
    },
    p99(now = Date.now()): number | null {
      const recent: number[] = [];
      for (let i = 0; i < size; i++) if ((at[i] as number) > now - windowMs) recent.push(ms[i] as number);
      if (recent.length === 0) return null;
      recent.sort((a, b) => a - b);
      return recent[Math.min(recent.length - 1, Math.floor(recent.length * 0.99))] as number;
    },
  };
}

export type LatencyWindow = ReturnType<typeof createLatencyWindow>;

/** Reports `read()` under `processId` every `everyMs`; returns the stop function. Redis errors are skipped. */
export function reportCheckoutHealth(
  redis: Redis,
  processId: string,
  read: () => Omit<HealthReport, 'at'>,
  everyMs = 1000,
): () => void {
  const timer = setInterval(() => {
    const report: HealthReport = { at: Date.now(), ...read() };
    redis.hset(reportsKey, processId, JSON.stringify(report)).catch(() => {});
  }, everyMs);
  timer.unref();
  return () => {
    clearInterval(timer);
    redis.hdel(reportsKey, processId).catch(() => {});
  };
}

/** The worst fresh figures across the API processes: the slowest holds, the fullest payment queue. */
export async function readCheckoutHealth(
  redis: Redis,
  now = Date.now(),
): Promise<{ holdP99Ms: number | null; confirmLoad: number | null }> {
  const all = Object.entries(await redis.hgetall(reportsKey)).map(
    ([processId, text]) => [processId, JSON.parse(text) as HealthReport] as const,
  );
  const reports = all.map(([, report]) => report).filter((report) => report.at > now - freshMs);
  const gone = all.filter(([, report]) => report.at < now - forgetMs).map(([processId]) => processId);
  if (gone.length > 0) await redis.hdel(reportsKey, ...gone);
  if (reports.length === 0) return { holdP99Ms: null, confirmLoad: null };
  const holds = reports.flatMap((report) => (report.holdP99Ms === null ? [] : [report.holdP99Ms]));
  return {
    holdP99Ms: holds.length > 0 ? Math.max(...holds) : null,
    confirmLoad: Math.max(...reports.map((report) => report.confirmLoad)),
  };
}
