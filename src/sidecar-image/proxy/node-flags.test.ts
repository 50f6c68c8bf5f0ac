import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { proxyNodeFlags } from './node-flags.js';

describe('proxyNodeFlags', () => {
  it('are the flags the image launcher runs trellis-proxy with', () => {
    const dockerfile = readFileSync(new URL('../../../Dockerfile', import.meta.url), 'utf8');
    const launcher = /exec node ([^\n]*?) ?\/opt\/trellis\/dist\/sidecar-image\/proxy\/main\.js/.exec(
      dockerfile,
    );
    expect(launcher?.[1]?.split(' ')).toEqual(proxyNodeFlags);
  });
});
