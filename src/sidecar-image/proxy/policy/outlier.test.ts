import { describe, expect, it } from 'vitest';
import type { OutlierDetection } from '../../../api/proxy-config-policies.js';
import { OutlierDetector } from './outlier.js';

const config = (over: Partial<OutlierDetection> = {}): OutlierDetection => ({
  consecutive5xxErrors: 3,
  consecutiveGatewayErrors: 0,
  consecutiveConnectFailures: 2,
  intervalMs: 10_000,
  baseEjectionTimeMs: 30_000,
  maxEjectionPercent: 100,
  panicThresholdPercent: 0,
  ...over,
});

function setup(over: Partial<OutlierDetection> = {}, endpoints = ['a', 'b', 'c', 'd']) {
  const clock = { t: 0 };
  const d = new OutlierDetector(config(over), () => clock.t);
  d.setEndpoints(endpoints);
  return { clock, d };
}

const fail5xx = (d: OutlierDetector, key: string, n: number) => {
  let r: string | undefined;
  for (let i = 0; i < n; i++) r = d.report(key, 500, 'none') ?? r;
  return r;
};

describe('OutlierDetector ejection', () => {
  it('ejects after consecutive 5xx and readmits exactly after the base time', () => {
    const { clock, d } = setup();
    expect(fail5xx(d, 'a', 2)).toBeUndefined();
    expect(d.report('a', 503, 'none')).toBe('consecutive_5xx');
    expect(d.isEjected('a')).toBe(true);
    clock.t = 29_999;
    expect(d.isEjected('a')).toBe(true);
    clock.t = 30_000;
    expect(d.isEjected('a')).toBe(false);
  });

  it('a success in between resets the count', () => {
    const { d } = setup();
    fail5xx(d, 'a', 2);
    d.report('a', 200, 'none');
    expect(fail5xx(d, 'a', 2)).toBeUndefined();
    expect(d.isEjected('a')).toBe(false);
  });

  it.each([
    [
      'connect failures',
      { consecutiveConnectFailures: 2 },
      [
        [0, 'connect-failure'],
        [0, 'connect-failure'],
      ],
      'consecutive_connect_failures',
    ],
    [
      'resets count as connect failures',
      { consecutiveConnectFailures: 2 },
      [
        [0, 'reset'],
        [0, 'connect-failure'],
      ],
      'consecutive_connect_failures',
    ],
    [
      'connect failures count as 5xx',
      { consecutiveConnectFailures: 0, consecutive5xxErrors: 2 },
      [
        [500, 'none'],
        [0, 'connect-failure'],
      ],
      'consecutive_5xx',
    ],
    [
      'gateway errors',
      { consecutive5xxErrors: 0, consecutiveGatewayErrors: 2 },
      [
        [502, 'none'],
        [504, 'none'],
      ],
      'consecutive_gateway_errors',
    ],
    [
      'a 500 breaks a gateway run',
      { consecutive5xxErrors: 0, consecutiveGatewayErrors: 2 },
      [
        [502, 'none'],
        [500, 'none'],
        [503, 'none'],
      ],
      undefined,
    ],
    [
      'per-try timeout is a 504',
      { consecutive5xxErrors: 0, consecutiveGatewayErrors: 2 },
      [
        [503, 'none'],
        [0, 'per-try-timeout'],
      ],
      'consecutive_gateway_errors',
    ],
    [
      'a response breaks a connect-failure run',
      { consecutive5xxErrors: 0 },
      [
        [0, 'connect-failure'],
        [404, 'none'],
        [0, 'connect-failure'],
      ],
      undefined,
    ],
    [
      '0 turns a check off',
      { consecutive5xxErrors: 0, consecutiveConnectFailures: 0 },
      [
        [500, 'none'],
        [500, 'none'],
        [500, 'none'],
        [500, 'none'],
        [0, 'connect-failure'],
        [0, 'connect-failure'],
        [0, 'connect-failure'],
      ],
      undefined,
    ],
  ] as const)('%s', (_what, over, outcomes, want) => {
    const { d } = setup(over);
    let got: string | undefined;
    for (const [status, failure] of outcomes) got = d.report('a', status, failure) ?? got;
    expect(got).toBe(want);
  });

  it('multiplies the ejection time by the ejection count, and decays it per healthy interval', () => {
    const { clock, d } = setup();
    fail5xx(d, 'a', 3); // 1st: 30 s
    clock.t = 30_000;
    fail5xx(d, 'a', 3); // 2nd right away: 60 s
    expect(d.isEjected('a')).toBe(true);
    clock.t = 89_999;
    expect(d.isEjected('a')).toBe(true);
    clock.t = 90_000;
    expect(d.isEjected('a')).toBe(false);
    // Healthy for 2 whole intervals (20 s): the count decays from 2 to 0, so the next is 1 × 30 s.
    clock.t = 110_000;
    fail5xx(d, 'a', 3);
    clock.t = 139_999;
    expect(d.isEjected('a')).toBe(true);
    clock.t = 140_000;
    expect(d.isEjected('a')).toBe(false);
  });

  it.each([
    // maxEjectionPercent, endpoints, failing endpoints → ejected
    [10, 4, 4, 1], // always at least one
    [50, 4, 4, 2],
    [100, 4, 4, 4],
    [30, 10, 10, 3],
    [0, 4, 4, 0],
  ])('max %i%% of %i endpoints with %i failing ejects %i', (maxEjectionPercent, n, failing, want) => {
    const keys = Array.from({ length: n }, (_, i) => `e${i}`);
    const { d } = setup({ maxEjectionPercent }, keys);
    for (const k of keys.slice(0, failing)) fail5xx(d, k, 3);
    expect(d.ejectedCount()).toBe(want);
    expect(d.overflowed).toBe(failing - want);
  });

  it('forgets endpoints that left and ignores unknown ones', () => {
    const { d } = setup();
    fail5xx(d, 'a', 3);
    d.setEndpoints(['b', 'c']);
    expect(d.isEjected('a')).toBe(false);
    expect(d.report('zz', 500, 'none')).toBeUndefined();
  });
});

describe('OutlierDetector.healthy and panic', () => {
  const id = (s: string) => s;

  it('returns the input itself when nothing is ejected', () => {
    const { d } = setup();
    const eps = ['a', 'b', 'c', 'd'];
    expect(d.healthy(eps, id, [])).toBe(eps);
  });

  it('filters ejected endpoints into the reused array', () => {
    const { d } = setup({ panicThresholdPercent: 50 });
    fail5xx(d, 'b', 3);
    const out: string[] = [];
    expect(d.healthy(['a', 'b', 'c', 'd'], id, out)).toBe(out);
    expect(out).toEqual(['a', 'c', 'd']);
    expect(d.panicking).toBe(false);
  });

  it.each([
    // panic threshold, ejected of 4 → panicking
    [50, 2, false], // 2 healthy of 4 = 50%: not below
    [50, 3, true],
    [0, 4, false],
    [100, 1, true],
  ])('threshold %i%% with %i of 4 ejected: panic %s', (panicThresholdPercent, ejected, panic) => {
    const { d } = setup({ panicThresholdPercent });
    const eps = ['a', 'b', 'c', 'd'];
    for (const k of eps.slice(0, ejected)) fail5xx(d, k, 3);
    const got = d.healthy(eps, id, []);
    expect(d.panicking).toBe(panic);
    expect(got).toHaveLength(panic ? 4 : 4 - ejected);
  });
});
