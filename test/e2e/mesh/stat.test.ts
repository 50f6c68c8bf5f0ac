import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { edgeCounts, edgeStats, formatTable, parseMetrics, quantile, scrape } from './stat.js';

// Two scrapes of two proxies 10 s apart, written by the proxy's own prom-client registry (src/sidecar-image/proxy/metrics.ts).
const fixture = (name: string) => readFileSync(new URL(`fixtures/${name}`, import.meta.url), 'utf8');
const first = edgeCounts(parseMetrics(fixture('scrape-1.prom')));
const second = edgeCounts(parseMetrics(fixture('scrape-2.prom')));

describe('parseMetrics', () => {
  it('reads names, labels (escapes included) and values, skipping comments', () => {
    expect(
      parseMetrics(
        '# HELP x y\n# TYPE x counter\nx{a="1",b="q\\"uote\\\\",c="line\\nbreak"} 3\ny 1.5e3\nz{le="+Inf"} +Inf\n',
      ),
    ).toEqual([
      { name: 'x', labels: { a: '1', b: 'q"uote\\', c: 'line\nbreak' }, value: 3 },
      { name: 'y', labels: {}, value: 1500 },
      { name: 'z', labels: { le: '+Inf' }, value: Infinity },
    ]);
  });

  it('throws naming a malformed line', () => {
    expect(() => parseMetrics('x{a=1} 3')).toThrow('bad labels in: x{a=1} 3');
    expect(() => parseMetrics('x three')).toThrow('not a metric line: x three');
    expect(() => parseMetrics('{a="1"} 3')).toThrow('not a metric line: {a="1"} 3');
  });
});

describe('edgeCounts', () => {
  it('sums the client side of each edge, and the server side only for callers outside the mesh', () => {
    expect([...first.keys()]).toEqual([
      'shop/frontend → orders.shop',
      'shop/orders → payments.shop',
      '(outside the mesh) → orders.shop',
    ]);
    expect(first.get('shop/frontend → orders.shop')).toMatchObject({
      requests: 100,
      successes: 90,
      byTls: { mtls: 100 },
    });
  });
});

describe('quantile', () => {
  it('interpolates inside the bucket as histogram_quantile does', () => {
    const buckets = new Map([
      [0.1, 50],
      [0.2, 100],
      [Infinity, 100],
    ]);
    expect(quantile(0.5, buckets)).toBeCloseTo(0.1);
    expect(quantile(0.75, buckets)).toBeCloseTo(0.15);
  });

  it('gives the highest finite bound for the +Inf bucket, and nothing without observations', () => {
    expect(
      quantile(
        0.99,
        new Map([
          [0.1, 1],
          [Infinity, 10],
        ]),
      ),
    ).toBe(0.1);
    expect(quantile(0.5, new Map([[Infinity, 0]]))).toBeUndefined();
  });
});

describe('edgeStats', () => {
  it('gives rate, success rate, p50/p99 and TLS of each edge over the window', () => {
    const stats = edgeStats(first, second, 10);
    expect(stats).toHaveLength(3);
    const [outside, frontend, orders] = stats;
    expect(outside).toEqual({
      source: '(outside the mesh)',
      destination: 'orders.shop',
      rps: 0,
      requests: 0,
      successRate: undefined,
      p50Ms: undefined,
      p99Ms: undefined,
      tls: '-',
    });
    expect(frontend).toMatchObject({
      source: 'shop/frontend',
      rps: 20,
      requests: 200,
      successRate: 1,
      tls: 'mtls',
    });
    expect(frontend?.p50Ms).toBeCloseTo(5);
    expect(frontend?.p99Ms).toBeCloseTo(49.5);
    expect(orders).toMatchObject({ destination: 'payments.shop', rps: 10, successRate: 0.99, tls: 'mixed' });
    expect(orders?.p99Ms).toBeCloseTo(2.5);
  });

  it('takes a counter that went down (a restarted proxy) whole', () => {
    const [, frontend] = edgeStats(second, first, 5);
    expect(frontend).toMatchObject({ requests: 100, rps: 20, successRate: 0.9 });
  });
});

describe('a live recording', () => {
  // The frontend's and orders' proxies in the sample at 5 requests a second, scraped 5 s apart
  // (the trellis_request* families of their /metrics, as served).
  it('gives the edges of the chain, all over mTLS', () => {
    const stats = edgeStats(
      edgeCounts(parseMetrics(fixture('live-scrape-1.prom'))),
      edgeCounts(parseMetrics(fixture('live-scrape-2.prom'))),
      5,
    );
    expect(stats.map((s) => [s.source, s.destination, s.requests, s.successRate, s.tls])).toEqual([
      ['scratch-shop/frontend', 'orders.scratch-shop', 26, 1, 'mtls'],
      ['scratch-shop/orders', 'payments.scratch-shop', 26, 1, 'mtls'],
    ]);
    for (const s of stats) {
      expect(s.rps).toBeCloseTo(5.2);
      expect(s.p50Ms).toBeGreaterThan(0);
      expect(s.p99Ms).toBeGreaterThanOrEqual(s.p50Ms ?? 0);
    }
  });
});

describe('formatTable', () => {
  it('aligns one row per edge under a header', () => {
    expect(formatTable(edgeStats(first, second, 10))).toBe(
      [
        'SOURCE              DESTINATION    RPS   SUCCESS  P50    P99     TLS',
        '(outside the mesh)  orders.shop    0.0   -        -      -       -',
        'shop/frontend       orders.shop    20.0  100.0%   5.0ms  49.5ms  mtls',
        'shop/orders         payments.shop  10.0  99.0%    1.8ms  2.5ms   mixed',
      ].join('\n'),
    );
  });
});

describe('scrape', () => {
  it('reads the admin port of each pod IP, leaving out one that is down or unparseable', async () => {
    // Loopback addresses of their own, on one port (the admin port is one number for every pod).
    const serve = (ip: string, port: number, body: string) =>
      new Promise<http.Server>((resolve, reject) => {
        const s = http.createServer((_, res) => res.end(body));
        s.once('error', reject);
        s.listen(port, ip, () => resolve(s));
      });
    const good = await serve('127.0.0.81', 0, fixture('scrape-1.prom'));
    const port = (good.address() as AddressInfo).port;
    const bad = await serve('127.0.0.82', port, 'garbage line');
    try {
      const counts = await scrape(['127.0.0.81', '127.0.0.82', '127.0.0.83'], 1_000, port);
      expect([...counts.keys()]).toEqual([...first.keys()]);
      expect(counts.get('shop/frontend → orders.shop')?.requests).toBe(100);
    } finally {
      good.close();
      bad.close();
    }
  });
});
