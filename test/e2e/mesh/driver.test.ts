import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { leafOf, runBatch, startSteady } from './driver.js';

const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

/** A server that answers after `delayMs`, recording the most requests it held at once. */
const server = async (delayMs: number, answer: (n: number) => number = () => 200) => {
  const seen = { count: 0, inFlight: 0, peak: 0 };
  const s = http.createServer((_, res) => {
    seen.count += 1;
    seen.inFlight += 1;
    seen.peak = Math.max(seen.peak, seen.inFlight);
    const status = answer(seen.count);
    setTimeout(() => {
      seen.inFlight -= 1;
      res.writeHead(status);
      res.end(JSON.stringify({ service: 'payments', version: 'v1' }));
    }, delayMs);
  });
  closers.push(() => s.closeAllConnections());
  closers.push(() => s.close());
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(s.address() as AddressInfo).port}/`, seen };
};

describe('leafOf', () => {
  it('finds the innermost tier of a nested reply', () => {
    expect(
      leafOf({
        service: 'frontend',
        upstream: { service: 'orders', upstream: { service: 'payments', version: 'v2' } },
      }),
    ).toBe('payments v2');
    expect(leafOf({ service: 'tcp' })).toBe('tcp');
    expect(leafOf('text')).toBeUndefined();
    expect(leafOf({ upstream: {} })).toBeUndefined();
  });
});

describe('runBatch', () => {
  it('sends exactly count requests, never more than concurrency at once, and tallies statuses', async () => {
    const { url, seen } = await server(20, (n) => (n % 5 === 0 ? 500 : 200));
    const tally = await runBatch({ url, count: 20, concurrency: 3, timeoutMs: 5_000 });
    expect(seen.count).toBe(20);
    expect(seen.peak).toBeLessThanOrEqual(3);
    expect(tally).toMatchObject({
      total: 20,
      ok: 16,
      failed: 4,
      statuses: { 200: 16, 500: 4 },
      leaves: { 'payments v1': 16 },
    });
  });

  it('counts a timeout and a refused connection as failed requests with their errors', async () => {
    const { url } = await server(1_000);
    const slow = await runBatch({ url, count: 1, concurrency: 1, timeoutMs: 50 });
    expect(slow).toMatchObject({ total: 1, failed: 1, statuses: { error: 1 } });
    expect(Object.keys(slow.errors)[0]).toMatch(/^TimeoutError/);
    const refused = await runBatch({
      url: 'http://127.0.0.1:1/',
      count: 2,
      concurrency: 2,
      timeoutMs: 1_000,
    });
    expect(refused).toMatchObject({ total: 2, failed: 2, statuses: { error: 2 } });
  });
});

describe('startSteady', () => {
  it('stops by itself after durationMs and waits for what is in flight', async () => {
    const { url, seen } = await server(5);
    const steady = startSteady({ url, rate: 50, durationMs: 300, maxInFlight: 10, timeoutMs: 1_000 });
    await steady.done;
    const after = seen.count;
    expect(after).toBeGreaterThan(0);
    expect(steady.tally().total).toBe(after);
    await new Promise((r) => setTimeout(r, 100));
    expect(seen.count).toBe(after);
  });

  it('skips ticks rather than exceed maxInFlight when the target stalls', async () => {
    const { url, seen } = await server(400);
    const steady = startSteady({ url, rate: 100, durationMs: 10_000, maxInFlight: 2, timeoutMs: 2_000 });
    await new Promise((r) => setTimeout(r, 200));
    await steady.stop();
    expect(seen.peak).toBe(2);
    expect(steady.tally().skipped).toBeGreaterThan(0);
  });
});
