import { describe, expect, it } from 'vitest';
import { normalizeCidr, sortCidrs } from './cidr.js';

describe('normalizeCidr', () => {
  it.each([
    ['10.1.2.3/8', '10.0.0.0/8'],
    ['192.168.77.200/20', '192.168.64.0/20'],
    ['198.18.100.3/32', '198.18.100.3/32'],
    ['255.255.255.255/31', '255.255.255.254/31'],
    ['1.2.3.4/0', '0.0.0.0/0'],
  ])('%s → %s', (input, expected) => {
    expect(normalizeCidr(input)).toBe(expected);
  });
});

describe('sortCidrs', () => {
  it('orders by address, then by prefix length, without duplicates', () => {
    expect(sortCidrs(['192.168.0.0/16', '10.0.0.0/16', '10.0.0.0/8', '9.0.0.0/8', '10.0.0.0/8'])).toEqual([
      '9.0.0.0/8',
      '10.0.0.0/8',
      '10.0.0.0/16',
      '192.168.0.0/16',
    ]);
  });
});
