import { describe, expect, it } from 'vitest';
import { keyString, parseKey } from './reconciler.js';

describe('object keys', () => {
  it.each([
    [{ namespace: 'shop', name: 'orders' }, 'shop/orders'],
    [{ name: 'default' }, 'default'],
  ])('%j round-trips as %s', (key, text) => {
    expect(keyString(key)).toBe(text);
    expect(parseKey(text)).toEqual(key);
  });
});
