import { describe, expect, it } from 'vitest';
import { canonicalJson, contentHash } from './canonical-json.js';

describe('canonicalJson', () => {
  it.each([
    ['flat keys', { b: 1, a: 2 }, '{"a":2,"b":1}'],
    ['nested keys', { z: { y: 1, x: [{ d: 1, c: 2 }] } }, '{"z":{"x":[{"c":2,"d":1}],"y":1}}'],
    ['arrays keep order', [3, 1, 2], '[3,1,2]'],
    ['undefined fields dropped', { a: undefined, b: null }, '{"b":null}'],
  ])('%s', (_name, input, expected) => {
    expect(canonicalJson(input)).toBe(expected);
  });

  it('gives the same bytes and hash for the same content in another key order', () => {
    const a = canonicalJson({ x: 1, y: { p: 'q', r: 's' } });
    const b = canonicalJson({ y: { r: 's', p: 'q' }, x: 1 });
    expect(a).toBe(b);
    expect(contentHash(a)).toBe(contentHash(b));
    expect(contentHash(a)).toMatch(/^[0-9a-f]{64}$/);
    expect(contentHash(a)).not.toBe(contentHash(canonicalJson({ x: 2 })));
  });
});
