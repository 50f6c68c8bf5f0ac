import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startSteady } from '../mesh/driver.js';
import { createControlServer, parseBatch, parseTcp } from './loadgen-control.js';

const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

const listen = async (server: http.Server) => {
  closers.push(() => server.close());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
};
const post = async (url: string, body: string) => {
  const res = await fetch(url, { method: 'POST', body });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

describe('parseBatch', () => {
  it('fills the defaults', () => {
    expect(parseBatch({ service: 'payments', count: 10 })).toEqual({
      service: 'payments',
      path: '/',
      headers: {},
      count: 10,
      concurrency: 1,
      timeoutMs: 10_000,
    });
  });

  it('names the first bad field', () => {
    expect(() => parseBatch([])).toThrow('body must be a JSON object');
    expect(() => parseBatch({ service: 'Payments!', count: 1 })).toThrow('service must be a Service name');
    expect(() => parseBatch({ service: 'p', path: 'x', count: 1 })).toThrow('path must start with /');
    expect(() => parseBatch({ service: 'p', headers: { a: 1 }, count: 1 })).toThrow(
      'headers must map names to strings',
    );
    expect(() => parseBatch({ service: 'p', count: 0 })).toThrow(
      'count must be a whole number from 1 to 10000',
    );
    expect(() => parseBatch({ service: 'p', count: 1, concurrency: 101 })).toThrow(
      'concurrency must be a whole number from 1 to 100',
    );
  });
});

describe('createControlServer', () => {
  it('runs a batch against a Service and tallies the replies', async () => {
    let n = 0;
    const target = await listen(
      http.createServer((req, res) => {
        n += 1;
        res.writeHead(n % 4 === 0 ? 503 : 200, n % 4 === 0 ? { 'x-trellis-response-flags': 'UH' } : {});
        res.end(
          JSON.stringify({
            service: 'frontend',
            upstream: { service: 'payments', version: req.headers['x-v'] },
          }),
        );
      }),
    );
    const control = await listen(createControlServer({ serviceUrl: () => target }));
    const { status, body } = await post(
      `${control}/batch`,
      JSON.stringify({ service: 'frontend', count: 8, concurrency: 2, headers: { 'x-v': 'v2' } }),
    );
    expect(status).toBe(200);
    expect(body).toMatchObject({
      total: 8,
      ok: 6,
      failed: 2,
      statuses: { 200: 6, 503: 2 },
      flags: { UH: 2 },
      leaves: { 'payments v2': 6 },
    });
  });

  it('answers 400 for a bad batch or an unknown Service, and 404 for stats without steady traffic', async () => {
    const control = await listen(
      createControlServer({
        serviceUrl: (s) => {
          throw new Error(`no Service ${s}`);
        },
      }),
    );
    expect(await post(`${control}/batch`, '{')).toMatchObject({ status: 400 });
    expect(await post(`${control}/batch`, JSON.stringify({ service: 'ghost', count: 1 }))).toEqual({
      status: 400,
      body: { error: 'no Service ghost' },
    });
    const res = await fetch(`${control}/stats`);
    expect(res.status).toBe(404);
    expect((await fetch(`${control}/nothing`)).status).toBe(404);
  });

  it('shows and resets the steady tally', async () => {
    const target = await listen(http.createServer((_, res) => res.end('{}')));
    const steady = startSteady({
      url: target,
      rate: 100,
      durationMs: 10_000,
      maxInFlight: 4,
      timeoutMs: 2_000,
    });
    closers.push(() => steady.stop());
    const control = await listen(createControlServer({ serviceUrl: () => target, steady }));
    for (let i = 0; i < 100 && steady.tally().ok < 3; i++) await new Promise((r) => setTimeout(r, 20));
    const stats = (await (await fetch(`${control}/stats`)).json()) as { ok: number };
    expect(stats.ok).toBeGreaterThanOrEqual(3);
    expect(await post(`${control}/stats/reset`, '')).toEqual({ status: 200, body: { reset: true } });
    expect(steady.tally().ok).toBeLessThan(stats.ok);
  });
});

describe('parseTcp', () => {
  it('takes a Service, a message and a count, naming the first bad field', () => {
    expect(parseTcp({ service: 'tcp-echo', message: 'ping', count: 3 })).toEqual({
      service: 'tcp-echo',
      message: 'ping',
      count: 3,
    });
    expect(() => parseTcp({ service: 'tcp-echo', message: '', count: 1 })).toThrow(
      'message must be 1 to 65536 characters',
    );
    expect(() => parseTcp({ service: 'tcp-echo', message: 'x', count: 101 })).toThrow(
      'count must be a whole number from 1 to 100',
    );
    expect(() => parseTcp({ service: 'TCP', message: 'x', count: 1 })).toThrow(
      'service must be a Service name',
    );
  });
});

describe('POST /tcp', () => {
  it('counts connections whose bytes come back unchanged, and those that do not', async () => {
    const echo = net.createServer((s) => s.pipe(s));
    const truncating = net.createServer((s) => s.once('data', (d: Buffer) => s.end(d.subarray(0, 2))));
    const ports: number[] = [];
    for (const server of [echo, truncating]) {
      closers.push(() => server.close());
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      ports.push((server.address() as AddressInfo).port);
    }
    const control = await listen(
      createControlServer({
        serviceUrl: (s) => `http://127.0.0.1:${s === 'tcp-echo' ? ports[0] : ports[1]}`,
      }),
    );
    expect(
      await post(`${control}/tcp`, JSON.stringify({ service: 'tcp-echo', message: 'hello mesh', count: 3 })),
    ).toMatchObject({
      status: 200,
      body: { total: 3, ok: 3, failed: 0 },
    });
    expect(
      await post(`${control}/tcp`, JSON.stringify({ service: 'short', message: 'hello mesh', count: 2 })),
    ).toMatchObject({
      status: 200,
      body: { total: 2, ok: 0, failed: 2, errors: { 'echoed 2 bytes of 10': 2 } },
    });
    expect(await post(`${control}/tcp`, JSON.stringify({ service: 'tcp-echo', count: 1 }))).toEqual({
      status: 400,
      body: { error: 'message must be 1 to 65536 characters' },
    });
  });
});
