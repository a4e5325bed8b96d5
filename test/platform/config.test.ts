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

  it('reads the rate limits of each class per buyer and per IP, with defaults, and refuses a malformed one', () => {
    const { limits } = loadConfig(required).rateLimits;
    expect(limits.holds).toEqual({
      perBuyer: { points: 30, windowSeconds: 10 },
      perIp: { points: 300, windowSeconds: 10 },
    });
    expect(limits.confirms).toEqual({
      perBuyer: { points: 30, windowSeconds: 60 },
      perIp: { points: 120, windowSeconds: 60 },
    });
    const set = loadConfig({
      ...required,
      RATE_LIMIT_CONFIRMS_PER_IP: '5/2m',
      RATE_LIMIT_READS_PER_BUYER: '1/1h',
    });
    expect(set.rateLimits.limits.confirms.perIp).toEqual({ points: 5, windowSeconds: 120 });
    expect(set.rateLimits.limits.reads.perBuyer).toEqual({ points: 1, windowSeconds: 3600 });
    for (const bad of ['30', '0/10s', '30/0s', '30/10', '30/25h', 'ten/10s', '-1/10s']) {
      expect(() => loadConfig({ ...required, RATE_LIMIT_HOLDS_PER_BUYER: bad })).toThrow(
        /RATE_LIMIT_HOLDS_PER_BUYER must be <requests>\/<window>/,
      );
    }
  });

  it('exempts loopback from the per-IP limits outside production only, and checks the address lists', () => {
    expect(loadConfig(required).rateLimits).toMatchObject({
      ipAllowlist: ['127.0.0.0/8', '::1'],
      trustedProxies: [],
    });
    const production = {
      ...required,
      NODE_ENV: 'production',
      AUTH_JWT_SECRET: 'a-production-secret-of-sorts',
      TICKET_SIGNING_SECRET: 'a-ticket-secret-of-sorts',
      WAITING_ROOM_KEYS: 'k1:a-waiting-room-secret-of-sorts',
    };
    expect(loadConfig(production).rateLimits.ipAllowlist).toEqual([]);
    const listed = loadConfig({
      ...required,
      RATE_LIMIT_IP_ALLOWLIST: '203.0.113.7, 2001:db8::/32',
      TRUSTED_PROXIES: '10.0.0.0/8,fd00::1',
    });
    expect(listed.rateLimits).toMatchObject({
      ipAllowlist: ['203.0.113.7', '2001:db8::/32'],
      trustedProxies: ['10.0.0.0/8', 'fd00::1'],
    });
    expect(loadConfig({ ...required, RATE_LIMIT_IP_ALLOWLIST: 'none' }).rateLimits.ipAllowlist).toEqual([]);
    for (const bad of ['localhost', '10.0.0.0/33', '::1/129', '10.0.0.1/8/1', '10.0.0.0/x']) {
      expect(() => loadConfig({ ...required, TRUSTED_PROXIES: bad })).toThrow(
        /TRUSTED_PROXIES .*is not an IP address or CIDR/,
      );
    }
  });
});
