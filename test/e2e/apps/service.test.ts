import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createService,
  failureSchedule,
  optionsFromEnv,
  propagated,
  type ServiceOptions,
  upstreamUrl,
} from './service.js';

const servers: { close: () => void }[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

const listen = async (opts: ServiceOptions, upstream?: string) => {
  const server = createService(opts, upstream);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
};
const base: ServiceOptions = {
  name: 'payments',
  version: 'v1',
  pod: 'p-1',
  port: 0,
  failPercent: 0,
  delayMs: 0,
};

describe('optionsFromEnv', () => {
  it("takes the environment over the main's defaults", () => {
    expect(
      optionsFromEnv(
        { name: 'orders', upstream: 'payments' },
        { VERSION: 'v2', POD_NAME: 'orders-1', FAIL_PERCENT: '25', DELAY_MS: '40', PORT: '9090' },
      ),
    ).toEqual({
      name: 'orders',
      version: 'v2',
      pod: 'orders-1',
      port: 9090,
      upstream: 'payments',
      failPercent: 25,
      delayMs: 40,
    });
    expect(optionsFromEnv({ name: 'payments' }, {})).toEqual({
      name: 'payments',
      version: 'v1',
      pod: '',
      port: 8080,
      failPercent: 0,
      delayMs: 0,
    });
  });

  it('refuses bad values, naming the variable', () => {
    expect(() => optionsFromEnv({ name: 'x' }, { FAIL_PERCENT: '101' })).toThrow(
      'FAIL_PERCENT must be a number from 0 to 100, got "101"',
    );
    expect(() => optionsFromEnv({ name: 'x' }, { FAIL_PERCENT: 'half' })).toThrow(
      'FAIL_PERCENT must be a number from 0 to 100, got "half"',
    );
    expect(() => optionsFromEnv({ name: 'x' }, { DELAY_MS: '-5' })).toThrow(
      'DELAY_MS must be a whole number ≥ 0, got "-5"',
    );
    expect(() => optionsFromEnv({ name: 'x' }, { PORT: '70000' })).toThrow(
      'PORT must be 1–65535, got "70000"',
    );
  });
});

describe('upstreamUrl', () => {
  it('reads the service-link variables, and says which are missing', () => {
    expect(
      upstreamUrl('tcp-echo', { TCP_ECHO_SERVICE_HOST: '198.19.0.4', TCP_ECHO_SERVICE_PORT: '9000' }),
    ).toBe('http://198.19.0.4:9000');
    expect(() => upstreamUrl('orders', { ORDERS_SERVICE_HOST: '198.19.0.4' })).toThrow(
      'no ORDERS_SERVICE_HOST/ORDERS_SERVICE_PORT: create Service "orders" before this pod',
    );
  });
});

describe('failureSchedule', () => {
  it('fails exactly the share asked in every 100 requests, spread out', () => {
    const count = (percent: number) => {
      const fails = failureSchedule(percent);
      return Array.from({ length: 200 }, fails).filter(Boolean).length;
    };
    expect([count(0), count(10), count(50), count(100)]).toEqual([0, 20, 100, 200]);
    const half = failureSchedule(50);
    expect(Array.from({ length: 4 }, half)).toEqual([false, true, false, true]);
  });
});

describe('propagated', () => {
  it("passes the test's x- headers and the trace on, not the proxy's own or the rest", () => {
    expect(
      propagated({
        'x-canary': 'true',
        'x-trellis-response-flags': 'UF',
        traceparent: '00-a-b-01',
        host: 'h',
        accept: '*/*',
      }),
    ).toEqual({ 'x-canary': 'true', traceparent: '00-a-b-01' });
  });
});

describe('createService', () => {
  it('answers with the chain of tiers, passing x- headers on', async () => {
    let seen: string | undefined;
    const payments = createService({ ...base, version: 'v2' });
    payments.on('request', (req) => {
      seen = req.headers['x-canary'] as string | undefined;
    });
    servers.push(payments);
    await new Promise<void>((resolve) => payments.listen(0, '127.0.0.1', resolve));
    const orders = await listen(
      { ...base, name: 'orders', upstream: 'payments' },
      `http://127.0.0.1:${(payments.address() as AddressInfo).port}`,
    );
    const res = await fetch(`${orders}/orders/1`, { headers: { 'x-canary': 'true' } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      service: 'orders',
      version: 'v1',
      pod: 'p-1',
      upstream: { service: 'payments', version: 'v2', pod: 'p-1' },
    });
    expect(seen).toBe('true');
  });

  it('fails its share with 500, and answers 502 when the upstream fails or is unreachable', async () => {
    const flaky = await listen({ ...base, failPercent: 50 });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await fetch(flaky)).status);
    expect(statuses).toEqual([200, 500, 200, 500]);

    const orders = await listen({ ...base, name: 'orders', upstream: 'payments' }, flaky);
    expect([(await fetch(orders)).status, (await fetch(orders)).status]).toEqual([200, 502]);

    const dead = await listen({ ...base, name: 'orders', upstream: 'payments' }, 'http://127.0.0.1:1');
    const res = await fetch(dead);
    expect(res.status).toBe(502);
    expect(((await res.json()) as { error: string }).error).toMatch(/^upstream payments: /);
  });

  it('answers /healthz even when failing every request', async () => {
    const broken = await listen({ ...base, failPercent: 100 });
    expect((await fetch(`${broken}/healthz`)).status).toBe(200);
    expect((await fetch(broken)).status).toBe(500);
  });
});
