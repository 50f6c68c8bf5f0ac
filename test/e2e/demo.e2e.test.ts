import { spawn } from 'node:child_process';
import { expect, inject, it } from 'vitest';
import { kubectl } from './mesh/kubectl.js';
import { repoRoot } from './node-agent/images.js';

/**
 * `npm run demo` end to end, bounded: `--for 30s` runs the whole demo
 * (cluster reused, node agent, Trellis from config/, the sample, the live
 * table) and then cleans up. It exits 0 only when the last window showed
 * every edge carrying requests over mTLS.
 */
it('runs the demo unattended: the live table shows every edge over mTLS, then everything it added is gone', async () => {
  const kubeconfig = inject('kubeconfig');
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'devcluster/demo.ts', '--for', '30s', '--refresh', '5s'],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  expect(code, out).toBe(0);

  expect(out).toContain(`export KUBECONFIG=${kubeconfig}`);
  expect(out).toContain('kubectl -n trellis-demo patch trafficroute payments');
  expect(out).toMatch(/trellis-demo\/loadgen +frontend\.trellis-demo +[\d.]+ +100\.0% .* mtls/);
  expect(out).toMatch(/trellis-demo\/frontend +orders\.trellis-demo +[\d.]+ +100\.0% .* mtls/);
  expect(out).toMatch(/trellis-demo\/orders +payments\.trellis-demo +[\d.]+ +100\.0% .* mtls/);
  expect(out).toMatch(/answered by: payments v1 [\d.]+% · payments v2 [\d.]+%/);
  expect(out).toContain('[demo] ok: every edge carried requests over mTLS');

  // The cluster was reused, so it stays; what the demo added does not.
  const get = (...args: string[]) =>
    kubectl(kubeconfig, ['get', ...args, '--ignore-not-found', '-o', 'name']);
  expect(await get('namespace', 'trellis-demo')).toBe('');
  expect(await get('meshconfigs')).toBe('');
  const webhooks = await kubectl(kubeconfig, ['get', 'mutatingwebhookconfigurations', '-o', 'name']);
  expect(webhooks).not.toContain('trellis-injector');
}, 600_000);
