import { describe, expect, it } from 'vitest';
import { matchesLabels } from './labels.js';

describe('matchesLabels', () => {
  const obj = { metadata: { name: 'x', labels: { app: 'shop', tier: 'web' } } };
  it.each([
    [{}, true],
    [{ app: 'shop' }, true],
    [{ app: 'shop', tier: 'web' }, true],
    [{ app: 'shop', tier: 'db' }, false],
    [{ missing: '' }, false],
  ])('selector %j matches: %s', (labels, expected) => {
    expect(matchesLabels(obj, labels)).toBe(expected);
  });

  it('matches an object without labels only with an empty selector', () => {
    expect(matchesLabels({ metadata: { name: 'x' } }, {})).toBe(true);
    expect(matchesLabels({ metadata: { name: 'x' } }, { app: 'shop' })).toBe(false);
  });
});
