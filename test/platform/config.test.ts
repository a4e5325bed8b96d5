import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/platform/config';

const required = { AUTH_JWT_SECRET: 'a-secret-of-sixteen+', STRIPE_SECRET_KEY: 'sk_test_123' };

describe('loadConfig', () => {
  it('fills developer defaults around the required secrets', () => {
    const config = loadConfig(required);
    expect(config.databaseUrl).toBe('postgres://postgres@127.0.0.1:5432/boxoffice');
    expect(config.temporal).toMatchObject({ address: '127.0.0.1:7233', namespace: 'default', tls: false });
    expect(config.port).toBe(3000);
    expect(config.ticketSigningSecret).not.toBe(required.AUTH_JWT_SECRET);
  });

  it('names every missing or bad variable in one error', () => {
    let error: unknown;
    try {
      loadConfig({ DATABASE_URL: 'mysql://x', PORT: 'eighty', TEMPORAL_ADDRESS: 'nohost' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const name of ['AUTH_JWT_SECRET', 'STRIPE_SECRET_KEY', 'DATABASE_URL', 'PORT', 'TEMPORAL_ADDRESS']) {
      expect(problems).toContain(name);
    }
  });

  it('treats an empty variable as unset and turns on TLS for a Temporal Cloud API key', () => {
    const config = loadConfig({ ...required, PORT: '', TEMPORAL_API_KEY: 'key' });
    expect(config.port).toBe(3000);
    expect(config.temporal.tls).toBe(true);
  });

  it('reads the hold lease grace, 120 s by default, and refuses a negative or fractional one', () => {
    expect(loadConfig(required).holdGraceSeconds).toBe(120);
    expect(loadConfig({ ...required, HOLD_GRACE_SECONDS: '0' }).holdGraceSeconds).toBe(0);
    for (const bad of ['-1', '1.5', 'soon', '86401']) {
      expect(() => loadConfig({ ...required, HOLD_GRACE_SECONDS: bad })).toThrow(/HOLD_GRACE_SECONDS/);
    }
  });

  it('reads the live streams settings with their defaults, and refuses out-of-range ones by name', () => {
    expect(loadConfig(required).live).toEqual({
      maxSubscribers: 5000,
      heartbeatSeconds: 15,
      replayLog: 1000,
      pushIntervalMs: 1000,
    });
    const bad = {
      LIVE_MAX_SUBSCRIBERS: '0',
      LIVE_HEARTBEAT_SECONDS: '1.5',
      LIVE_REPLAY_LOG: 'many',
      LIVE_PUSH_INTERVAL_MS: '5',
    };
    let error: unknown;
    try {
      loadConfig({ ...required, ...bad });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const name of Object.keys(bad)) expect(problems).toContain(name);
  });

  it('keeps metrics on unless METRICS_ENABLED is false, and refuses any other value', () => {
    expect(loadConfig(required).metricsEnabled).toBe(true);
    expect(loadConfig({ ...required, METRICS_ENABLED: 'true' }).metricsEnabled).toBe(true);
    expect(loadConfig({ ...required, METRICS_ENABLED: 'false' }).metricsEnabled).toBe(false);
    for (const bad of ['off', '0', 'no']) {
      expect(() => loadConfig({ ...required, METRICS_ENABLED: bad })).toThrow(/METRICS_ENABLED/);
    }
  });
});
