import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigStore } from './config-store.js';
import { createMetrics } from './metrics.js';
import { testConfig } from './testing/config.js';
import { captureLogger } from './testing/log.js';
import { writeAtomicVolume } from './testing/pki.js';
import { waitFor } from './testing/wait.js';

async function reloads(metrics: ReturnType<typeof createMetrics>) {
  const m = await metrics.configReloads.get();
  return Object.fromEntries(m.values.map((v) => [v.labels.result, v.value]));
}

describe('ConfigStore', () => {
  const dirs: string[] = [];
  const stores: ConfigStore[] = [];
  afterEach(() => {
    for (const s of stores.splice(0)) s.stop();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  function setup() {
    const dir = mkdtempSync(join(tmpdir(), 'trellis-config-'));
    dirs.push(dir);
    const { log, lines } = captureLogger();
    const metrics = createMetrics();
    const store = new ConfigStore(dir, log, metrics);
    stores.push(store);
    return { dir, lines, metrics, store };
  }

  it('loads, follows a symlink swap, and keeps the last good config when the new one is bad', async () => {
    const { dir, lines, metrics, store } = setup();
    writeAtomicVolume(dir, { 'config.json': JSON.stringify(testConfig({ mtlsMode: 'STRICT' })) });
    await store.start({ debounceMs: 20, pollMs: 60_000 });
    expect(store.current?.mtlsMode).toBe('STRICT');

    const seen: string[] = [];
    store.onChange((c) => seen.push(c.mtlsMode));
    writeAtomicVolume(dir, { 'config.json': JSON.stringify(testConfig({ mtlsMode: 'PERMISSIVE' })) });
    await waitFor(() => store.current?.mtlsMode === 'PERMISSIVE', 2_000, 'reload');
    expect(seen).toEqual(['PERMISSIVE']);

    const broken = { ...testConfig(), services: [{ name: 'x', namespace: 'shop', clusterIps: ['1.2.3'] }] };
    writeAtomicVolume(dir, { 'config.json': JSON.stringify(broken) });
    await waitFor(async () => (await reloads(metrics)).rejected === 1, 2_000, 'rejection');

    expect(store.current?.mtlsMode).toBe('PERMISSIVE');
    expect(seen).toEqual(['PERMISSIVE']);
    expect(await reloads(metrics)).toEqual({ success: 2, rejected: 1 });
    const rejected = lines().find((l) => l.msg === 'config rejected');
    expect(rejected?.error).toBe(
      'services.0.clusterIps.0: Invalid IPv4 address; services.0.ports: Invalid input: expected array, received undefined; services.0.endpoints: Invalid input: expected array, received undefined',
    );
    expect(rejected?.keeping).toBe(true);
  });

  it('does not count an unchanged file again', async () => {
    const { dir, metrics, store } = setup();
    writeAtomicVolume(dir, { 'config.json': JSON.stringify(testConfig()) });
    expect(await store.reload()).toBe(true);
    expect(await store.reload()).toBe(false);
    expect(await reloads(metrics)).toEqual({ success: 1 });
  });

  it('starts without a config when the first document is bad', async () => {
    const { dir, store } = setup();
    writeAtomicVolume(dir, { 'config.json': '{"schemaVersion": 2}' });
    expect(await store.reload()).toBe(false);
    expect(store.current).toBeUndefined();
  });
});
