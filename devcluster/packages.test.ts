import { describe, expect, it } from 'vitest';
import { missingPackages } from './packages.js';
import { requiredCommands } from './setup.js';

describe('missingPackages', () => {
  it('names each package once, however many of its commands are missing', () => {
    expect(missingPackages(requiredCommands, (cmd) => cmd === 'openssl')).toEqual([
      'iproute2',
      'iptables',
      'util-linux',
    ]);
  });

  it('is empty when every command is present', () => {
    expect(missingPackages(requiredCommands, () => true)).toEqual([]);
  });
});
