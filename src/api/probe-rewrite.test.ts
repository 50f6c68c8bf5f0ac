import { describe, expect, it } from 'vitest';
import { appMetrics, appProbePath, appProbes, waitReadyArgs } from './probe-rewrite.js';

describe('the probe-rewrite contract', () => {
  it('names one admin path per container and probe kind', () => {
    expect(appProbePath('app', 'liveness')).toBe('/app-health/app/livez');
    expect(appProbePath('app', 'readiness')).toBe('/app-health/app/readyz');
    expect(appProbePath('app', 'startup')).toBe('/app-health/app/startupz');
  });

  it('reads what the injector writes, filling the defaults kubelet would use', () => {
    const env = JSON.stringify({
      '/app-health/app/readyz': { httpGet: { port: 8080 } },
      '/app-health/app/livez': { tcpSocket: { port: 8080 }, timeoutSeconds: 3 },
      '/app-health/app/startupz': { grpc: { port: 9090 } },
    });
    expect(appProbes.parse(JSON.parse(env))).toEqual({
      '/app-health/app/readyz': {
        httpGet: { port: 8080, path: '/', scheme: 'HTTP', httpHeaders: [] },
        timeoutSeconds: 1,
      },
      '/app-health/app/livez': { tcpSocket: { port: 8080 }, timeoutSeconds: 3 },
      '/app-health/app/startupz': { grpc: { port: 9090 }, timeoutSeconds: 1 },
    });
    expect(appMetrics.parse({ port: 9102 })).toEqual({ port: 9102, path: '/metrics', scheme: 'http' });
  });

  it('refuses probes it could not run', () => {
    expect(appProbes.safeParse({ '/app-health/a/livez': { exec: { command: ['true'] } } }).success).toBe(
      false,
    );
    expect(appProbes.safeParse({ '/elsewhere': { tcpSocket: { port: 1 } } }).success).toBe(false);
    expect(appProbes.safeParse({ '/app-health/a/livez': { httpGet: { port: 'http' } } }).success).toBe(false);
  });

  it('spells the hold command', () => {
    expect(waitReadyArgs(120)).toEqual(['wait-ready', '--timeout=120s']);
  });
});
