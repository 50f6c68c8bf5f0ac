import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { trellisctl } from './trellisctl.js';

function run(argv: string[], stdin = '') {
  const out = { stdout: '', stderr: '' };
  const io = {
    stdin: Readable.from([stdin]),
    stdout: { write: (s: string) => (out.stdout += s) },
    stderr: { write: (s: string) => (out.stderr += s) },
  };
  return trellisctl(argv, io).then((code) => ({ code, ...out }));
}

const pod =
  'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: app, image: app:1}]}\n';
let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('trellisctl', () => {
  it('lists its commands, and refuses unknown ones', async () => {
    expect(await run(['--help'])).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/inject +add the mesh/),
    });
    expect(await run(['frobnicate'])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('unknown command "frobnicate"'),
    });
  });

  it('inject reads stdin with -f -, writes the stream to stdout and the report to stderr', async () => {
    const r = await run(['inject', '-f', '-'], pod);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('name: trellis-proxy');
    expect(r.stdout).toContain('restartPolicy: Always');
    expect(r.stderr).toBe('pod/p: injected\n');
  });

  it('inject reads files and settings, and honours --kube-version and --native-sidecar', async () => {
    dir = mkdtempSync(join(tmpdir(), 'ctl-'));
    writeFileSync(join(dir, 'a.yaml'), pod);
    writeFileSync(join(dir, 'b.yaml'), pod.replace('name: p', 'name: q'));
    writeFileSync(join(dir, 's.json'), JSON.stringify({ version: '3.0.0' }));
    const old = await run([
      'inject',
      '-f',
      join(dir, 'a.yaml'),
      '-f',
      join(dir, 'b.yaml'),
      '--settings',
      join(dir, 's.json'),
      '--kube-version',
      'v1.28.4',
    ]);
    expect(old.code).toBe(0);
    expect(old.stderr).toBe('pod/p: injected\npod/q: injected\n');
    expect(old.stdout).toContain('trellis-sidecar:3.0.0');
    expect(old.stdout).not.toContain('restartPolicy: Always');
    const forced = await run([
      'inject',
      '-f',
      join(dir, 'a.yaml'),
      '--kube-version',
      '1.28',
      '--native-sidecar',
      'on',
    ]);
    expect(forced.stdout).toContain('restartPolicy: Always');
  });

  it('inject fails with a message and no output on errors', async () => {
    expect(await run(['inject'])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('-f is required'),
    });
    expect(await run(['inject', '-f', '/nonexistent.yaml'])).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('ENOENT'),
    });
    expect(await run(['inject', '-f', '-', '--kube-version', 'latest'], pod)).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('--kube-version: "latest"'),
    });
    const bad = await run(
      ['inject', '-f', '-'],
      pod.replace('{name: p}', '{name: p, annotations: {trellis.dev/log-level: loud}}'),
    );
    expect(bad).toMatchObject({
      code: 1,
      stdout: '',
      stderr: expect.stringContaining('error: pod/p: invalid-override'),
    });
  });
});
