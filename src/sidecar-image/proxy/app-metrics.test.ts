import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExposition, parseAppMetrics } from './app-metrics.js';
import { captureLogger } from './testing/log.js';

const host = '127.0.0.1';
const appText = '# HELP app_orders_total Orders\n# TYPE app_orders_total counter\napp_orders_total 42\n';

describe('merged exposition', () => {
  let server: Server;
  let port = 0;
  let closedPort = 0;

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/metrics') return res.end(appText);
      if (req.url === '/openmetrics') return res.end(`${appText}# EOF\n`);
      if (req.url === '/big') return res.end('x'.repeat(4096));
      if (req.url === '/slow') return;
      res.writeHead(500);
      res.end('broken');
    });
    await new Promise<void>((r) => server.listen(0, host, r));
    port = (server.address() as AddressInfo).port;
    const gone = createServer();
    await new Promise<void>((r) => gone.listen(0, host, r));
    closedPort = (gone.address() as AddressInfo).port;
    await new Promise<void>((r) => gone.close(() => r()));
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  function proxyRegistry() {
    const registry = new Registry();
    new Counter({ name: 'trellis_requests_total', help: 'x', registers: [registry] }).inc(3);
    return registry;
  }

  const expose = (path: string, extra: { timeoutMs?: number; maxBytes?: number } = {}) => {
    const cap = captureLogger();
    const scrape = createExposition({
      registry: proxyRegistry(),
      app: { port, path, scheme: 'http' },
      host,
      log: cap.log,
      ...extra,
    });
    return { scrape, lines: cap.lines };
  };

  it("appends the app's exposition to the proxy's own", async () => {
    const text = await expose('/metrics').scrape();
    expect(text).toContain('trellis_requests_total 3\n');
    expect(text).toContain('trellis_app_metrics_fetch_failures_total 0\n');
    expect(text.endsWith(appText)).toBe(true);
  });

  it('drops an OpenMetrics # EOF so the merged text does not end early', async () => {
    const text = await expose('/openmetrics').scrape();
    expect(text).not.toContain('# EOF');
    expect(text).toContain('app_orders_total 42\n');
  });

  it("still serves the proxy's metrics when the app fails, and counts each failure", async () => {
    const { scrape, lines } = expose('/error');
    const first = await scrape();
    expect(first).toContain('trellis_requests_total 3\n');
    expect(first).toContain('trellis_app_metrics_fetch_failures_total 1\n');
    expect(first).not.toContain('broken');
    expect(await scrape()).toContain('trellis_app_metrics_fetch_failures_total 2\n');
    expect(lines().some((l) => l.msg === 'app metrics fetch failed' && l.err === 'HTTP 500')).toBe(true);
  });

  it('gives up on a slow app, an oversized answer and a closed port', async () => {
    const slow = expose('/slow', { timeoutMs: 200 });
    expect(await slow.scrape()).toContain('trellis_app_metrics_fetch_failures_total 1\n');
    expect(slow.lines().some((l) => l.err === 'timed out after 200 ms')).toBe(true);

    const big = expose('/big', { maxBytes: 1024 });
    const text = await big.scrape();
    expect(text).toContain('trellis_app_metrics_fetch_failures_total 1\n');
    expect(text).not.toContain('xxxx');

    const cap = captureLogger();
    const closed = createExposition({
      registry: proxyRegistry(),
      app: { port: closedPort, path: '/metrics', scheme: 'http' },
      host,
      log: cap.log,
    });
    expect(await closed()).toContain('trellis_app_metrics_fetch_failures_total 1\n');
  });

  it('serves the proxy registry alone when there is no app endpoint', async () => {
    const registry = proxyRegistry();
    const scrape = createExposition({ registry, app: undefined, host, log: captureLogger().log });
    expect(await scrape()).toBe(await registry.metrics());
  });
});

describe('parseAppMetrics', () => {
  it('is undefined when unset and applies the contract defaults', () => {
    expect(parseAppMetrics({})).toBeUndefined();
    expect(parseAppMetrics({ TRELLIS_APP_METRICS: '{"port":9090}' })).toEqual({
      port: 9090,
      path: '/metrics',
      scheme: 'http',
    });
  });

  it('names the variable and the bad field', () => {
    expect(() => parseAppMetrics({ TRELLIS_APP_METRICS: 'nope' })).toThrow(
      /^bad environment: TRELLIS_APP_METRICS: not JSON/,
    );
    expect(() => parseAppMetrics({ TRELLIS_APP_METRICS: '{"port":0}' })).toThrow(/TRELLIS_APP_METRICS\.port/);
  });
});
