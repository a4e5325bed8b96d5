// The API's /metrics when Postgres does not answer: the scrape still succeeds, and the seats held past
// their lease read NaN (unknown), never a reassuring 0. With METRICS_ENABLED=false there is nothing to
// scrape and nothing is counted or timed.
import { afterAll, describe, expect, it } from 'vitest';
import { createApiMetrics, metricsRoutes } from '../../api/metrics';
import { createPool } from '../../src/platform/db';
import { createLogger } from '../../src/platform/logger';
import { scrape } from '../helpers/metrics';

describe('API metrics without Postgres', () => {
  // Nothing listens on port 1: every query fails at once.
  const pool = createPool('postgres://postgres@127.0.0.1:1/boxoffice', 1);
  afterAll(() => pool.end());

  it('answers the scrape and reports the seats held past their lease as unknown', async () => {
    const metrics = createApiMetrics({ pool, log: createLogger('silent', 'metrics-test') });
    const scraped = await scrape(metricsRoutes(metrics));
    expect(scraped.names.has('boxoffice_seats_held_past_lease')).toBe(true);
    expect(scraped.value('boxoffice_seats_held_past_lease')).toBeNaN();
  });
});

describe('API metrics turned off (METRICS_ENABLED=false)', () => {
  const pool = createPool('postgres://postgres@127.0.0.1:1/boxoffice', 1);
  afterAll(() => pool.end());

  it('serves no /metrics, registers nothing and leaves the checkout calls unwrapped', async () => {
    const metrics = createApiMetrics({
      pool,
      log: createLogger('silent', 'metrics-test'),
      config: { metricsEnabled: false },
    });
    expect((await metricsRoutes(metrics).request('/metrics')).status).toBe(404);
    expect(await metrics.registry.getMetricsAsJSON()).toEqual([]);
    const hold = async () => ({ settled: true as const, value: { status: 'HELD' } });
    expect(metrics.holds(hold)).toBe(hold);
    expect(metrics.confirms(hold)).toBe(hold);
  });
});
