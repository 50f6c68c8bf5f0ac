import { describe, expect, it } from 'vitest';
import { type Frame, leafDelta, renderFrame, verdict } from './demo-table.js';

const at = new Date('2026-01-02T03:04:05Z');

describe('renderFrame', () => {
  it('shows the edges and the share of each payments version', () => {
    const text = renderFrame({
      at,
      seconds: 5,
      stats: [
        {
          source: 'trellis-demo/orders',
          destination: 'payments.trellis-demo',
          rps: 10,
          requests: 50,
          successRate: 1,
          p50Ms: 2,
          p99Ms: 9,
          tls: 'mtls',
        },
      ],
      leaves: { 'payments v2': 5, 'payments v1': 45 },
    });
    expect(text).toBe(
      [
        'Trellis mesh, last 5 s (03:04:05 UTC)',
        '',
        'SOURCE               DESTINATION            RPS   SUCCESS  P50    P99    TLS',
        'trellis-demo/orders  payments.trellis-demo  10.0  100.0%   2.0ms  9.0ms  mtls',
        '',
        'answered by: payments v1 90.0% · payments v2 10.0% (of 50 loadgen requests)',
      ].join('\n'),
    );
  });

  it('says so when no request went through the window', () => {
    expect(renderFrame({ at, seconds: 5, stats: [], leaves: {} })).toBe(
      'Trellis mesh, last 5 s (03:04:05 UTC)\n\nno requests in this window yet',
    );
  });
});

describe('leafDelta', () => {
  it('subtracts the previous counts, taking a reset counter whole and dropping zeros', () => {
    expect(
      leafDelta({ 'payments v1': 10, 'payments v2': 4 }, { 'payments v1': 19, 'payments v2': 4, x: 2 }),
    ).toEqual({
      'payments v1': 9,
      x: 2,
    });
    expect(leafDelta({ 'payments v1': 100 }, { 'payments v1': 3 })).toEqual({ 'payments v1': 3 });
  });
});

describe('verdict', () => {
  const edge = (tls: 'mtls' | 'none') => ({
    source: 'trellis-demo/frontend',
    destination: 'orders.trellis-demo',
    rps: 1,
    requests: 5,
    successRate: 1,
    p50Ms: 1,
    p99Ms: 1,
    tls,
  });
  const frame = (stats: Frame['stats']): Frame => ({ at, seconds: 5, stats, leaves: {} });
  it('passes when every edge carried requests over mTLS', () => {
    expect(verdict(frame([edge('mtls')]))).toBeUndefined();
  });
  it('fails with no frame, no traffic, or an edge in plaintext', () => {
    expect(verdict(undefined)).toBe('no requests went through the mesh in the last window');
    expect(verdict(frame([]))).toBe('no requests went through the mesh in the last window');
    expect(verdict(frame([edge('mtls'), edge('none')]))).toBe(
      'edges without mTLS: trellis-demo/frontend → orders.trellis-demo',
    );
  });
});
