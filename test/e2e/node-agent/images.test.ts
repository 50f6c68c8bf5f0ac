import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { pullError, repoRoot, repository, resolveImage } from './images.js';

const ts = (source: string) => [
  process.execPath,
  '--import',
  expect.stringContaining('tsx/dist/loader.mjs'),
  `${repoRoot}${source}`,
];

describe('repository', () => {
  it.each([
    ['trellis/sidecar:0.1.0', 'trellis/sidecar'],
    ['ghcr.io/trellis-mesh/trellis-sidecar@sha256:abc', 'ghcr.io/trellis-mesh/trellis-sidecar'],
    ['localhost:5000/app:1', 'localhost:5000/app'],
    ['docker.io/library/busybox', 'busybox'],
  ])('%s → %s', (image, repo) => {
    expect(repository(image)).toBe(repo);
  });
});

describe('resolveImage', () => {
  it("runs the image's CMD with the image's user when the pod gives no command", () => {
    expect(resolveImage('trellis/sidecar:1', undefined, undefined)).toEqual({
      argv: ts('src/sidecar-image/proxy/main.ts'),
      user: { uid: 1337, gid: 1337 },
      source: `${repoRoot}src/sidecar-image/proxy/main.ts`,
    });
  });

  it("maps a command naming one of the image's programs, keeping its arguments", () => {
    expect(
      resolveImage('ghcr.io/trellis-mesh/trellis-sidecar:0.1.0', ['trellis-init'], ['--dry-run'])?.argv,
    ).toEqual([...ts('src/sidecar-image/init/main.ts'), '--dry-run']);
    expect(resolveImage('trellis/control-plane', ['node', 'dist/webhook/main.js'], undefined)?.argv).toEqual(
      ts('src/webhook/main.ts'),
    );
  });

  it('lets args alone replace CMD, as a runtime does', () => {
    expect(resolveImage('trellis/control-plane', undefined, ['dist/webhook/main.js', '-v'])?.argv).toEqual([
      ...ts('src/webhook/main.ts'),
      '-v',
    ]);
  });

  it('runs a command the image does not provide as a host tool', () => {
    expect(resolveImage('trellis-e2e/http-app', ['sh', '-c'], ['sleep 1'])).toEqual({
      argv: ['sh', '-c', 'sleep 1'],
    });
  });

  it('knows nothing of an image outside the table', () => {
    expect(resolveImage('example.com/nowhere:1', undefined, undefined)).toBeUndefined();
  });
});

describe('the sample images', () => {
  it('each run a program this checkout has', () => {
    for (const image of ['frontend', 'orders', 'payments', 'flaky', 'tcp-echo', 'loadgen', 'wire-tap'].map(
      (n) => `trellis-e2e/${n}:1.0`,
    ))
      expect(pullError(image, undefined, undefined, existsSync), image).toBeUndefined();
    expect(resolveImage('trellis-e2e/payments:2.0', undefined, undefined)?.argv).toEqual(
      ts('test/e2e/apps/payments.ts'),
    );
  });
});

describe('pullError', () => {
  const all = () => true;
  it('says why an image cannot be pulled, or nothing when it can run', () => {
    expect(pullError('example.com/nowhere:1', undefined, undefined, all)).toMatch(
      /image "example.com\/nowhere:1" is not in the node agent's image table/,
    );
    expect(
      pullError('trellis/control-plane', undefined, undefined, (p) => !p.endsWith('operator/main.ts')),
    ).toBe('image "trellis/control-plane": its program src/operator/main.ts is not in this checkout');
    expect(pullError('trellis/sidecar', ['trellis-init'], undefined, all)).toBeUndefined();
    expect(pullError('trellis-e2e/http-app', ['sh', '-c', 'true'], undefined, () => false)).toBeUndefined();
  });
});
