import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';

describe('loadConfig', () => {
  it('has defaults for everything', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      lease: { namespace: 'trellis-system', name: 'trellis-operator' },
      server: { host: '0.0.0.0', port: 8080 },
      logLevel: 'info',
      leader: { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 },
      queue: { workers: 2, backoff: { baseMs: 5, capMs: 300_000 }, shutdownGraceMs: 20_000 },
      informer: {
        restartBackoff: { baseMs: 1_000, capMs: 30_000 },
        watchTimeoutSeconds: 300,
        watchdogMs: 90_000,
        relistMs: 600_000,
        listTimeoutMs: 60_000,
        minWatchMs: 1_000,
      },
    });
    expect(config.identity).toMatch(/_[0-9a-f-]{36}$/);
  });

  it('reads the pod identity and overrides', () => {
    const config = loadConfig({
      POD_NAME: 'trellis-operator-abc',
      POD_NAMESPACE: 'mesh',
      TRELLIS_OPERATOR_PORT: '0',
      TRELLIS_OPERATOR_LEASE_DURATION_MS: '4000',
      TRELLIS_OPERATOR_RENEW_DEADLINE_MS: '3000',
      TRELLIS_OPERATOR_RETRY_PERIOD_MS: '500',
    });
    expect(config.identity).toBe('trellis-operator-abc');
    expect(config.lease.namespace).toBe('mesh');
    expect(config.server.port).toBe(0);
    expect(config.leader).toEqual({ leaseDurationMs: 4000, renewDeadlineMs: 3000, retryPeriodMs: 500 });
  });

  it.each([
    [{ TRELLIS_OPERATOR_WORKERS: '0' }, /TRELLIS_OPERATOR_WORKERS/],
    [{ TRELLIS_OPERATOR_PORT: 'http' }, /TRELLIS_OPERATOR_PORT/],
    [{ TRELLIS_OPERATOR_LOG_LEVEL: 'loud' }, /TRELLIS_OPERATOR_LOG_LEVEL/],
    [{ TRELLIS_OPERATOR_RENEW_DEADLINE_MS: '20000' }, /lease duration must exceed the renew deadline/],
    [{ TRELLIS_OPERATOR_RETRY_CAP_MS: '1', TRELLIS_OPERATOR_RETRY_BASE_MS: '10' }, /retry cap is below/],
  ])('refuses %j', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });
});
