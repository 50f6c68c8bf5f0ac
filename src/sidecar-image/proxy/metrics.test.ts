import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { CellCounter, CellHistogram, createMetrics, type RequestLabels, requestLabels } from './metrics.js';

const buckets = [0.001, 0.01, 0.1, 1];
const base: RequestLabels = {
  direction: 'outbound',
  source_workload: 'web',
  source_namespace: 'shop',
  destination_service: 'orders.shop',
  destination_workload: 'orders',
  response_code: '200',
  response_flags: '-',
  tls: 'mtls',
};
const other: RequestLabels = { ...base, response_code: '503', response_flags: 'UF' };

/** The same metrics twice: prom-client's own classes and the cell ones, in separate registries. */
function twins() {
  const plain = new Registry();
  const cells = new Registry();
  const cfg = (registry: Registry) => ({ help: 'h', labelNames: requestLabels, registers: [registry] });
  return {
    plain,
    cells,
    counters: [
      new Counter({ name: 'c_total', ...cfg(plain) }),
      new CellCounter({ name: 'c_total', ...cfg(cells) }),
    ],
    histograms: [
      new Histogram({ name: 'h_seconds', buckets, ...cfg(plain) }),
      new CellHistogram({ name: 'h_seconds', buckets, ...cfg(cells) }),
    ],
  };
}

describe('cell metrics', () => {
  it('expose exactly what prom-client exposes for the same increments and observations', async () => {
    const t = twins();
    for (const c of t.counters) {
      c.inc(base);
      c.inc({ ...base }, 5);
      c.inc(other, 0);
      c.inc(other);
    }
    for (const h of t.histograms) {
      for (const v of [0.0005, 0.001, 0.002, 0.5, 7]) h.observe({ ...base }, v);
      h.observe(other, 0.05);
    }
    expect(await t.cells.metrics()).toBe(await t.plain.metrics());
    expect(await t.cells.metrics()).toContain('h_seconds_bucket{le="0.001",direction="outbound"');
    // Collecting twice adds nothing the second time.
    expect(await t.cells.metrics()).toBe(await t.plain.metrics());
    expect((await t.counters[1]?.get())?.values.map((v) => v.value)).toEqual([6, 1]);
  });

  it('keep counting after a scrape and forget everything on reset', async () => {
    const t = twins();
    const [, counter] = t.counters;
    const [, histogram] = t.histograms;
    counter?.inc(base, 2);
    await t.cells.metrics();
    counter?.inc(base, 3);
    expect((await counter?.get())?.values[0]?.value).toBe(5);
    histogram?.observe(base, 0.2);
    counter?.reset();
    histogram?.reset();
    expect((await counter?.get())?.values).toEqual([]);
    expect((await histogram?.get())?.values).toEqual([]);
    counter?.inc(base);
    expect((await counter?.get())?.values[0]?.value).toBe(1);
  });

  it('remove takes the pending count with the label set', async () => {
    const t = twins();
    const [, counter] = t.counters;
    counter?.inc(base, 2);
    counter?.inc(other, 4);
    counter?.remove(base);
    expect((await counter?.get())?.values.map((v) => [v.labels.response_code, v.value])).toEqual([
      ['503', 4],
    ]);
  });

  it('refuses a label the metric does not declare, and negative or non-finite increments', () => {
    const t = twins();
    const [, counter] = t.counters;
    const [, histogram] = t.histograms;
    const bad = { ...base, colour: 'blue' } as unknown as RequestLabels;
    expect(() => counter?.inc(bad)).toThrow(
      'Added label "colour" is not included in initial labelset of c_total',
    );
    expect(() => histogram?.observe(bad, 1)).toThrow('Added label "colour"');
    expect(() => counter?.inc(base, -1)).toThrow('It is not possible to decrease a counter');
    expect(() => counter?.inc(base, Number.NaN)).toThrow('Value is not a valid number: NaN');
    expect(() => histogram?.observe(base, Number.POSITIVE_INFINITY)).toThrow('Value is not a valid number');
  });

  it('still serve label-less use and labels() children the prom-client way', async () => {
    const registry = new Registry();
    const c = new CellCounter({
      name: 'x_total',
      help: 'h',
      labelNames: ['a'] as const,
      registers: [registry],
    });
    c.labels({ a: '1' }).inc(2);
    c.inc({ a: '1' });
    expect((await c.get()).values).toEqual([{ labels: { a: '1' }, value: 3 }]);
    const h = new CellHistogram({
      name: 'y',
      help: 'h',
      labelNames: ['a'] as const,
      buckets,
      registers: [registry],
    });
    h.labels({ a: '2' }).observe(0.5);
    h.observe({ a: '3' }, 0.5);
    const counts = (await h.get()).values.filter((v) => v.metricName === 'y_count');
    expect(counts.map((v) => [v.labels.a, v.value])).toEqual([
      ['2', 1],
      ['3', 1],
    ]);
  });

  it('are the ones the proxy registers for its request and TCP metrics', () => {
    const m = createMetrics();
    expect(m.requests).toBeInstanceOf(CellCounter);
    expect(m.requestDuration).toBeInstanceOf(CellHistogram);
    expect(m.tcpSentBytes).toBeInstanceOf(CellCounter);
  });
});
