import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ProxyConfigInput } from '../../api/proxy-config.js';
import { startProxy } from './proxy.js';
import { testConfig } from './testing/config.js';
import { echoApp } from './testing/harness.js';
import { captureLogger } from './testing/log.js';
import { issueLeaf, makeCa, writeAtomicVolume } from './testing/pki.js';
import { waitFor } from './testing/wait.js';

describe('startProxy', () => {
  const cleanup: (() => void)[] = [];
  afterEach(() => {
    for (const c of cleanup.splice(0)) c();
  });

  async function start() {
    const configDir = mkdtempSync(join(tmpdir(), 'trellis-proxy-config-'));
    const identityDir = mkdtempSync(join(tmpdir(), 'trellis-proxy-identity-'));
    cleanup.push(
      () => rmSync(configDir, { recursive: true }),
      () => rmSync(identityDir, { recursive: true }),
    );
    const app = await echoApp();
    cleanup.push(() => app.server.close());
    const drained: number[] = [];
    const proxy = await startProxy({
      settings: {
        pod: { name: 'orders-1', namespace: 'shop', ip: '127.0.0.1', serviceAccount: 'orders' },
        logLevel: 'info',
        opaquePorts: [],
        configDir,
        identityDir,
      },
      log: captureLogger().log,
      // Everything captured "was going" to the app (no iptables here).
      originalDst: () => ({ address: '127.0.0.1', port: app.port }),
      ports: { outbound: 0, inbound: 0, admin: 0 },
      host: '127.0.0.1',
      onDrained: (forced) => drained.push(forced),
      drainTimeoutMs: 2_000,
      watch: { debounceMs: 20, pollMs: 100 },
    });
    cleanup.push(() => void proxy.drain());
    const admin = `http://127.0.0.1:${proxy.ports.admin}`;
    return { proxy, admin, configDir, identityDir, drained };
  }

  it('becomes ready once the config and identity volumes appear', async () => {
    const { admin, configDir, identityDir } = await start();
    expect((await fetch(`${admin}/ready`)).status).toBe(503);
    writeAtomicVolume(configDir, { 'config.json': JSON.stringify(testConfig()) });
    const leaf = issueLeaf(makeCa(), 'spiffe://cluster.local/ns/shop/sa/orders');
    writeAtomicVolume(identityDir, { 'tls.crt': leaf.cert, 'tls.key': leaf.key, 'ca.crt': leaf.ca });
    await waitFor(async () => (await fetch(`${admin}/ready`)).status === 200, 3_000, 'ready');
  });

  it('drains: stops accepting, lets the open connection finish, then reports drained', async () => {
    const { proxy, admin, configDir, drained } = await start();
    writeAtomicVolume(configDir, { 'config.json': JSON.stringify(testConfig()) });
    await waitFor(() => proxy.ctx.registry() !== undefined, 3_000, 'config');
    const open = connect(proxy.ports.outbound, '127.0.0.1');
    open.write('one ');
    await new Promise((r) => open.once('data', r));

    expect((await fetch(`${admin}/drain`, { method: 'POST' })).status).toBe(202);
    await waitFor(
      () =>
        new Promise<boolean>((resolve) => {
          const probe = connect(proxy.ports.outbound, '127.0.0.1');
          probe.once('error', () => resolve(true));
          probe.once('connect', () => {
            probe.destroy();
            resolve(false);
          });
        }),
      2_000,
      'listener closed',
    );
    expect(drained).toEqual([]);
    const rest = new Promise<string>((resolve) => {
      let got = '';
      open.on('data', (d: Buffer) => (got += d.toString()));
      open.on('end', () => resolve(got));
    });
    open.end('two');
    expect(await rest).toBe('two');
    await waitFor(() => drained.length === 1, 2_000, 'drained');
    expect(drained).toEqual([0]);
  });

  it('refuses a policy document with the bad field path, keeping the last good config and its runtime state', async () => {
    const configDir = mkdtempSync(join(tmpdir(), 'trellis-proxy-config-'));
    const identityDir = mkdtempSync(join(tmpdir(), 'trellis-proxy-identity-'));
    cleanup.push(
      () => rmSync(configDir, { recursive: true }),
      () => rmSync(identityDir, { recursive: true }),
    );
    const app = createServer((_req, res) => res.end('app'));
    await new Promise<void>((r) => app.listen(0, '127.0.0.3', r));
    cleanup.push(() => {
      app.closeAllConnections();
      app.close();
    });
    const appPort = (app.address() as { port: number }).port;
    const config = (regex: string, extraServices: ProxyConfigInput['services'] = []) =>
      JSON.stringify(
        testConfig({
          services: [
            {
              name: 'web',
              namespace: 'shop',
              clusterIps: ['10.96.0.60'],
              ports: [{ name: 'http', port: 80 }],
              endpoints: [{ ip: '127.0.0.3', ports: { http: appPort }, ready: true }],
            },
            ...extraServices,
          ],
          policies: {
            routes: [
              {
                namespace: 'shop',
                service: 'web',
                source: 'TrafficRoute shop/web',
                rules: [
                  {
                    name: 'limited',
                    matches: [{ path: { kind: 'regex', value: regex } }],
                    destinations: [{ namespace: 'shop', service: 'web', weight: 100 }],
                    rateLimit: {
                      maxTokens: 3,
                      tokensPerFill: 1,
                      fillIntervalMs: 600_000,
                      perIdentity: false,
                    },
                    responseHeaders: { set: [['x-policy', 'good']] },
                  },
                ],
              },
            ],
          },
        }),
      );
    const logs = captureLogger();
    const proxy = await startProxy({
      settings: {
        pod: { name: 'orders-1', namespace: 'shop', ip: '127.0.0.1', serviceAccount: 'orders' },
        logLevel: 'info',
        opaquePorts: [],
        configDir,
        identityDir,
      },
      log: logs.log,
      originalDst: () => ({ address: '10.96.0.60', port: 80 }),
      ports: { outbound: 0, inbound: 0, admin: 0 },
      host: '127.0.0.1',
      onDrained: () => {},
      drainTimeoutMs: 2_000,
      watch: { debounceMs: 20, pollMs: 100 },
    });
    cleanup.push(() => void proxy.drain());
    const reloads = async (result: string) =>
      (await proxy.ctx.metrics.configReloads.get()).values.find((v) => v.labels.result === result)?.value ??
      0;
    const get = async () => {
      const r = await fetch(`http://127.0.0.1:${proxy.ports.outbound}/api/x`);
      await r.text();
      return [r.status, r.headers.get('x-policy')];
    };

    writeAtomicVolume(configDir, { 'config.json': config('/api/[a-z]+') });
    await waitFor(() => proxy.ctx.registry() !== undefined, 3_000, 'config');
    expect([await get(), await get()]).toEqual([
      [200, 'good'],
      [200, 'good'],
    ]);
    // A reload that leaves the rule's limit unchanged keeps its bucket: one token is left, not three.
    const other = { name: 'db', namespace: 'shop', clusterIps: [], ports: [], endpoints: [] };
    writeAtomicVolume(configDir, { 'config.json': config('/api/[a-z]+', [other]) });
    await waitFor(async () => (await reloads('success')) === 2, 3_000, 'second config');
    // A regex RE2 cannot run (look-ahead) is refused at its path; the last good config stays.
    writeAtomicVolume(configDir, { 'config.json': config('/api/(?=x)[a-z]+') });
    await waitFor(async () => (await reloads('rejected')) === 1, 3_000, 'rejection');
    const rejected = logs.lines().find((l) => l.msg === 'config rejected');
    expect(rejected?.error).toMatch(
      /^policies\.routes\.0\.rules\.0\.matches\.0\.path\.value: not RE2: look-ahead/,
    );
    expect([await get(), await get()]).toEqual([
      [200, 'good'],
      // The rule's response edits apply to the proxy's own answers too.
      [429, 'good'],
    ]);
  });
});
