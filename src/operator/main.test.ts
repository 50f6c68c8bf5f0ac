import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fakeApiServer, sendJson } from './testing/fake-apiserver.js';
import { fakeLeases } from './testing/fake-leases.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const wait = { timeout: 30_000, interval: 50 };

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Runs src/operator/main.ts as its own process, as the image's CMD does (through tsx instead of a build). */
function runMain(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/operator/main.ts'], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  });
  return { child, exited, output: () => output };
}

describe('operator process', () => {
  it('leads with KUBECONFIG, and on SIGTERM releases the Lease and exits 0', async () => {
    const leases = fakeLeases();
    const api = await fakeApiServer((_seen, res, req) => {
      if (!leases.handle(req, res)) sendJson(res, 404, {});
    });
    cleanups.push(() => api.close());
    const dir = mkdtempSync(join(tmpdir(), 'trellis-main-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, api.kc.exportConfig());
    const main = runMain({
      KUBECONFIG: kubeconfig,
      POD_NAME: 'main-test',
      TRELLIS_OPERATOR_HOST: '127.0.0.1',
      TRELLIS_OPERATOR_PORT: '0',
    });
    await vi.waitFor(
      () => expect(leases.holder('trellis-system', 'trellis-operator')).toBe('main-test'),
      wait,
    );
    await vi.waitFor(() => expect(main.output()).toContain('"msg":"started leading"'), wait);
    main.child.kill('SIGTERM');
    expect(await main.exited).toBe(0);
    expect(leases.holder('trellis-system', 'trellis-operator')).toBeUndefined();
    expect(main.output()).toContain('"msg":"released the lease"');
  });

  it('exits 1 naming the bad setting', async () => {
    const main = runMain({ TRELLIS_OPERATOR_WORKERS: 'many' });
    expect(await main.exited).toBe(1);
    expect(main.output()).toContain('TRELLIS_OPERATOR_WORKERS');
  });
});
