import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
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
});
