// Owns reading a /metrics answer in the suites: parsed by a real exposition-format parser, then summed by
// series name and labels, so a test says "this counter moved by one" in one line.
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { expect } from 'vitest';
import { metricsContentType } from '../../src/platform/metrics';

export interface Scrape {
  text: string;
  /**
   * Every series name exported, sampled yet or only declared (a labelled counter nothing has counted):
   * counters and gauges as named, histograms as their _bucket, _sum and _count.
   */
  names: Set<string>;
  /** The sum of the samples of `name` whose labels include `labels` (a histogram's: `x_count`). */
  value(name: string, labels?: Record<string, string>): number;
  /** Every label value of every sample, to check that no id ever becomes a label. */
  labelValues(): string[];
}

export function parseScrape(text: string): Scrape {
  // Read untyped, sample by sample: the parser folds a typed histogram's series into one sample without
  // labels, while untyped each _bucket, _sum and _count line keeps its own.
  const samples = parsePrometheusTextFormat(text.replace(/^# TYPE .*$/gm, '')).flatMap((family) =>
    family.metrics.map((sample) => ({
      name: family.name,
      labels: sample.labels ?? {},
      value: Number(sample.value),
    })),
  );
  return {
    text,
    names: new Set([...samples.map((sample) => sample.name), ...declaredNames(text)]),
    value(name, labels = {}) {
      return samples
        .filter(
          (sample) =>
            sample.name === name &&
            Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
        )
        .reduce((sum, sample) => sum + sample.value, 0);
    },
    labelValues: () => samples.flatMap((sample) => Object.values(sample.labels)),
  };
}

/** The series names the `# TYPE` lines declare. */
function declaredNames(text: string): string[] {
  return [...text.matchAll(/^# TYPE (\S+) (\w+)$/gm)].flatMap(([, name = '', type]) =>
    type === 'histogram' ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : [name],
  );
}

/** GETs a /metrics URL (or the app's, through `request`) and parses it; the answer must be Prometheus text. */
export async function scrape(
  target: string | { request(path: string): Response | Promise<Response> },
): Promise<Scrape> {
  const response = typeof target === 'string' ? await fetch(target) : await target.request('/metrics');
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe(metricsContentType);
  return parseScrape(await response.text());
}
