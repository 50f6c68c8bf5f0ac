import { describe, expect, it } from 'vitest';
import { labelsMatch, subsetEndpoints } from './subset.js';

describe('subsets', () => {
  it.each([
    [{}, { app: 'a' }, true],
    [{ version: 'v2' }, { app: 'a', version: 'v2' }, true],
    [{ version: 'v2' }, { app: 'a', version: 'v1' }, false],
    [{ version: 'v2', track: 'x' }, { version: 'v2' }, false],
  ])('labelsMatch(%j, %j) = %s', (want, have, ok) => {
    expect(labelsMatch(want, have)).toBe(ok);
  });

  it('selects endpoints by pod labels', () => {
    const eps: Array<{ ip: string; labels: Record<string, string> }> = [
      { ip: '10.0.0.1', labels: { version: 'v1' } },
      { ip: '10.0.0.2', labels: { version: 'v2' } },
      { ip: '10.0.0.3', labels: { version: 'v2', track: 'canary' } },
    ];
    expect(subsetEndpoints(eps, { version: 'v2' }).map((e) => e.ip)).toEqual(['10.0.0.2', '10.0.0.3']);
    expect(subsetEndpoints(eps, { version: 'v3' })).toEqual([]);
  });
});
