import { describe, expect, it } from 'vitest';
import { formatStatus, parseStatus } from './status.js';

describe('the status annotation', () => {
  const status = {
    version: '0.1.0',
    native: false,
    initContainers: ['trellis-init'],
    containers: ['trellis-proxy'],
    volumes: ['v'],
  };

  it('round-trips', () => {
    expect(parseStatus(formatStatus(status))).toEqual(status);
  });

  it.each([undefined, '', 'true', '{"version":1}', '[]'])('reads %j as no status', (value) => {
    expect(parseStatus(value)).toBeUndefined();
  });
});
