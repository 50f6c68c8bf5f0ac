import { describe, expect, it } from 'vitest';
import { cidrContains, firstHost, normalizeCidr, sortCidrs } from './cidr.js';

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

describe('cidrContains', () => {
  it.each<[string, string, boolean]>([
    ['0.0.0.0/0', '198.18.0.1', true],
    ['10.96.0.0/12', '10.111.255.255', true],
    ['10.96.0.0/12', '10.112.0.0', false],
    ['169.254.169.254/32', '169.254.169.254', true],
    ['169.254.169.254/32', '169.254.169.253', false],
  ])('%s contains %s: %s', (cidr, address, inside) => {
    expect(cidrContains(cidr, address)).toBe(inside);
  });
});

describe('firstHost', () => {
  it.each([
    ['10.96.0.0/12', '10.96.0.1'],
    ['10.96.3.4/12', '10.96.0.1'],
    ['192.0.2.7/32', '192.0.2.7'],
  ])('%s → %s', (cidr, host) => {
    expect(firstHost(cidr)).toBe(host);
  });
});
