// Owns how the inventory benchmark times operations: callers pulling from one queue (a fixed count, or
// for a duration), each operation timed, failures counted, summarised as rate and percentiles.

export interface Stats {
  ops: number;
  failures: number;
  seconds: number;
  opsPerSecond: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

function summarize(latencies: number[], failures: number, seconds: number): Stats {
  const sorted = [...latencies].sort((a, b) => a - b);
  const round = (value: number) => Math.round(value * 100) / 100;
  return {
    ops: latencies.length,
    failures,
    seconds: round(seconds),
    opsPerSecond: Math.round(latencies.length / seconds),
    p50Ms: round(percentile(sorted, 50)),
    p95Ms: round(percentile(sorted, 95)),
    p99Ms: round(percentile(sorted, 99)),
  };
}

/** Timings gathered over several measure() calls, so interleaved rounds add up to one result. */
export interface Tally {
  latencies: number[];
  failures: number;
  seconds: number;
}

export const tally = (): Tally => ({ latencies: [], failures: 0, seconds: 0 });
export const stats = (t: Tally) => summarize(t.latencies, t.failures, t.seconds);

/** Runs operations `from` to `to` with `concurrency` callers pulling from one queue, timing each. */
export async function measure(
  into: Tally,
  concurrency: number,
  from: number,
  to: number,
  op: (index: number) => Promise<unknown>,
): Promise<void> {
  let next = from;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < to) {
        const index = next;
        next += 1;
        const t0 = performance.now();
        try {
          await op(index);
          into.latencies.push(performance.now() - t0);
        } catch {
          into.failures += 1;
        }
      }
    }),
  );
  into.seconds += (performance.now() - started) / 1000;
}

/** As many operations as fit in `seconds`, for reads. */
export async function measureFor(
  concurrency: number,
  seconds: number,
  op: () => Promise<unknown>,
): Promise<Stats> {
  const latencies: number[] = [];
  let failures = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        try {
          await op();
          latencies.push(performance.now() - t0);
        } catch {
          failures += 1;
        }
      }
    }),
  );
  return summarize(latencies, failures, (performance.now() - started) / 1000);
}
