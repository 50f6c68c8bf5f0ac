import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { controlPlaneImageFor, operatorVersion, resolveVersion } from './version.js';

describe('resolveVersion', () => {
  it.each([
    [undefined, { ok: true, version: operatorVersion }],
    ['0.2.0', { ok: true, version: '0.2.0' }],
    ['v0.2.0-rc.1', { ok: true, version: 'v0.2.0-rc.1' }],
    [
      '0.2.0+build.1',
      {
        ok: false,
        message: 'spec.version 0.2.0+build.1 cannot be an image tag (letters, digits, _ . - only)',
      },
    ],
  ])('%s → %j', (requested, want) => {
    expect(resolveVersion(requested)).toEqual(want);
  });

  it('defaults to the release in package.json', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    expect(operatorVersion).toBe(pkg.version);
  });

  it('tags the control-plane image with the version', () => {
    expect(controlPlaneImageFor('0.2.0')).toBe('ghcr.io/trellis-mesh/trellis-control-plane:0.2.0');
  });
});
