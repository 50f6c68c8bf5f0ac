import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { parseProxyConfig } from '../../api/proxy-config.js';
import { createAdminServer } from './admin.js';
import { checkIdentity } from './identity.js';
import { buildTlsState, type TlsState } from './identity-store.js';
import { createMetrics } from './metrics.js';
import { testConfig } from './testing/config.js';
import { captureLogger } from './testing/log.js';
import { issueLeaf, makeCa } from './testing/pki.js';

const leaf = issueLeaf(makeCa(), 'spiffe://cluster.local/ns/shop/sa/orders');

function tlsState(): TlsState {
  const r = checkIdentity(leaf);
  if (!r.ok) throw new Error(r.error);
  return buildTlsState(r.identity);
}

describe('admin server', () => {
  const closers: (() => void)[] = [];
  afterEach(() => {
    for (const c of closers.splice(0)) c();
  });

  async function start() {
    const parsed = parseProxyConfig(JSON.stringify(testConfig()));
    if (!parsed.ok) throw new Error(parsed.error);
    const state = {
      config: { current: undefined as typeof parsed.config | undefined },
      identity: { current: undefined as TlsState | undefined },
    };
    let drains = 0;
    const metrics = createMetrics();
    const server = createAdminServer({
      config: state.config,
      identity: state.identity,
      metrics,
      log: captureLogger().log,
      drain: () => drains++,
      appProbe: async (path) =>
        path === '/app-health/web/livez'
          ? { status: 503, body: 'app probe failed: HTTP 500\n' }
          : { status: 404, body: 'no app probe\n' },
      exposition: async () => `${await metrics.registry.metrics()}app_orders_total 42\n`,
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    closers.push(() => server.close());
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return { state, parsed: parsed.config, metrics, base, drains: () => drains };
  }

  it('is live at once and ready only with both config and identity', async () => {
    const { state, parsed, base } = await start();
    expect((await fetch(`${base}/live`)).status).toBe(200);
    const notReady = await fetch(`${base}/ready`);
    expect(notReady.status).toBe(503);
    expect(await notReady.text()).toBe('not ready: no config, identity\n');
    state.config.current = parsed;
    expect(await (await fetch(`${base}/ready`)).text()).toBe('not ready: no identity\n');
    state.identity.current = tlsState();
    expect((await fetch(`${base}/ready`)).status).toBe(200);
  });

  it('shows the config and identity without the private key', async () => {
    const { state, parsed, base } = await start();
    state.config.current = parsed;
    state.identity.current = tlsState();
    const text = await (await fetch(`${base}/config`)).text();
    expect(text).not.toContain('PRIVATE KEY');
    const body = JSON.parse(text) as { config: unknown; identity: { spiffeId: string; certificate: string } };
    expect(body.config).toEqual(parsed);
    expect(body.identity.spiffeId).toBe('spiffe://cluster.local/ns/shop/sa/orders');
    expect(body.identity.certificate).toBe(leaf.cert);
  });

  it('serves Prometheus metrics with the trellis_ prefix', async () => {
    const { metrics, base } = await start();
    metrics.configReloads.inc({ result: 'rejected' });
    const res = await fetch(`${base}/metrics`);
    expect(res.headers.get('content-type')).toContain('text/plain');
    expect(await res.text()).toContain('trellis_config_reloads_total{result="rejected"} 1');
  });

  it('starts a drain on /drain and refuses other methods', async () => {
    const { base, drains } = await start();
    expect((await fetch(`${base}/drain`, { method: 'DELETE' })).status).toBe(405);
    expect(drains()).toBe(0);
    expect((await fetch(`${base}/drain`, { method: 'POST' })).status).toBe(202);
    expect(drains()).toBe(1);
    expect((await fetch(`${base}/nope`)).status).toBe(404);
  });

  it('answers app-health paths from the probe handler and serves the merged exposition', async () => {
    const { base } = await start();
    const probe = await fetch(`${base}/app-health/web/livez`);
    expect(probe.status).toBe(503);
    expect(await probe.text()).toBe('app probe failed: HTTP 500\n');
    expect((await fetch(`${base}/app-health/other/readyz`)).status).toBe(404);
    expect((await fetch(`${base}/elsewhere`)).status).toBe(404);
    expect(await (await fetch(`${base}/metrics`)).text()).toContain('app_orders_total 42\n');
  });

  it('quits on POST /quit from 127.0.0.1 and refuses GET', async () => {
    const { base, drains } = await start();
    expect((await fetch(`${base}/quit`)).status).toBe(405);
    expect(drains()).toBe(0);
    expect((await fetch(`${base}/quit`, { method: 'POST' })).status).toBe(202);
    expect(drains()).toBe(1);
  });
});
