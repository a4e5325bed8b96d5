// Owns what "observability on" means in a flash-sale run and how the run watches it: the variables that turn
// metrics and traces off or on in the API and the worker (read by src/platform/config.ts), a scraper that
// reads both /metrics every second while a phase runs (what Prometheus would do), and an OTLP receiver that
// takes the spans both send and counts them by service and by the phase they ended in.
import { type OtlpReceiver, startOtlpReceiver } from '../../scripts/lib/otlp-receiver';
import { sleep } from '../lib/load';

export const observabilitySettings = ['off', 'on', 'both'] as const;
export type ObservabilitySetting = (typeof observabilitySettings)[number];
/** What one stack of a run has: observability off or on. */
export type Observability = 'off' | 'on';

/** The stacks a setting runs, in their order: with `both`, every phase runs off first, then on. */
export function stacksOf(setting: ObservabilitySetting): [Observability, ...Observability[]] {
  return setting === 'both' ? ['off', 'on'] : [setting];
}

/**
 * The environment that turns metrics and traces off, or on towards this run's receiver (as protobuf, the
 * exporters' default), whatever the caller's own environment says.
 */
export function observabilityEnv(
  observability: Observability,
  on?: { otlpUrl: string; workerMetricsPort: number },
): NodeJS.ProcessEnv {
  if (observability === 'off' || !on) return { METRICS_ENABLED: 'false', OTEL_EXPORTER_OTLP_ENDPOINT: '' };
  return {
    METRICS_ENABLED: 'true',
    WORKER_METRICS_PORT: String(on.workerMetricsPort),
    OTEL_EXPORTER_OTLP_ENDPOINT: on.otlpUrl,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
    // Empty: the processes' own names, boxoffice-api and boxoffice-worker.
    OTEL_SERVICE_NAME: '',
  };
}

/** What the receiver and the scraper saw, for the results. */
export interface Observed {
  scraper: string;
  /** Per endpoint (api, worker): scrapes answered 200, failed ones, and the bytes read. */
  scrapes: Record<string, { ok: number; failed: number; bytes: number }>;
  /** Spans received, by the phase they ended in (the rest: warmups and between phases), then by service. */
  spans: Record<string, Record<string, number>>;
  spansTotal: number;
}

export interface Observer {
  /** The receiver's base URL, for OTEL_EXPORTER_OTLP_ENDPOINT. */
  otlpUrl: string;
  /** The /metrics endpoints to scrape, by name, once the processes serve them. */
  scrape(endpoints: Record<string, string>): void;
  /** Runs a phase scraped every second, remembering its window to count the spans that ended in it. */
  during<T>(phase: string, work: () => Promise<T>): Promise<T>;
  /** After the last phase: waits for the spans still in the processes' batches, then counts them. */
  observed(): Promise<Observed>;
  close(): Promise<void>;
}

const scrapeIntervalMs = 1000;
/** Longer than the batch span processor's delay (OTEL_BSP_SCHEDULE_DELAY, 5 s): every batch has come. */
const quietAfterSpansMs = 6000;

export async function startObserver(): Promise<Observer> {
  const ended: { service: string; endMs: number }[] = [];
  let lastSpanAt = Date.now();
  const receiver: OtlpReceiver = await startOtlpReceiver({
    onSpan: (span) => {
      lastSpanAt = Date.now();
      ended.push({ service: String(span.service), endMs: Number(BigInt(span.endTimeUnixNano) / 1_000_000n) });
    },
  });
  const windows: { phase: string; from: number; to: number }[] = [];
  const endpoints: Record<string, string> = {};
  const scrapes: Observed['scrapes'] = {};
  const inFlight = new Set<string>();

  async function scrapeOnce(name: string, url: string) {
    if (inFlight.has(name)) return;
    inFlight.add(name);
    const tally = scrapes[name] ?? { ok: 0, failed: 0, bytes: 0 };
    scrapes[name] = tally;
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(scrapeIntervalMs) });
      const text = await response.text();
      if (response.ok) tally.ok += 1;
      else tally.failed += 1;
      tally.bytes += text.length;
    } catch {
      tally.failed += 1;
    } finally {
      inFlight.delete(name);
    }
  }
  const scrapeAll = () => {
    for (const [name, url] of Object.entries(endpoints)) void scrapeOnce(name, url);
  };

  return {
    otlpUrl: receiver.url,
    scrape: (more) => Object.assign(endpoints, more),
    async during(phase, work) {
      scrapeAll();
      const timer = setInterval(scrapeAll, scrapeIntervalMs);
      const from = Date.now();
      try {
        return await work();
      } finally {
        clearInterval(timer);
        windows.push({ phase, from, to: Date.now() });
      }
    },
    async observed() {
      const deadline = Date.now() + 60_000;
      while (Date.now() - lastSpanAt < quietAfterSpansMs && Date.now() < deadline) await sleep(250);
      const spans: Observed['spans'] = {};
      for (const span of ended) {
        const phase =
          windows.find((w) => span.endMs >= w.from && span.endMs <= w.to)?.phase ?? 'outside phases';
        const counts = spans[phase] ?? { total: 0 };
        spans[phase] = counts;
        counts.total = (counts.total ?? 0) + 1;
        counts[span.service] = (counts[span.service] ?? 0) + 1;
      }
      return {
        scraper: `the benchmark, every ${scrapeIntervalMs / 1000} s while a phase runs: ${Object.keys(endpoints).join(', ')} /metrics`,
        scrapes,
        spans,
        spansTotal: ended.length,
      };
    },
    close: () => receiver.close(),
  };
}
