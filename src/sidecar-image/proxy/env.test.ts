import { describe, expect, it } from 'vitest';
import { readProxyEnv } from './env.js';

const base = {
  TRELLIS_POD_NAME: 'orders-7d9f',
  TRELLIS_POD_NAMESPACE: 'shop',
  TRELLIS_POD_IP: '10.0.0.5',
  TRELLIS_SERVICE_ACCOUNT: 'orders',
};

describe('readProxyEnv', () => {
  it('fills the defaults of the shared contract', () => {
    expect(readProxyEnv(base)).toEqual({
      pod: { name: 'orders-7d9f', namespace: 'shop', ip: '10.0.0.5', serviceAccount: 'orders' },
      logLevel: 'info',
      opaquePorts: [],
      configDir: '/etc/trellis/config',
      identityDir: '/etc/trellis/identity',
    });
  });

  it('reads opaque ports as a comma-separated list', () => {
    expect(readProxyEnv({ ...base, TRELLIS_OPAQUE_PORTS: '3306, 5432' }).opaquePorts).toEqual([3306, 5432]);
  });

  it('names every bad variable', () => {
    expect(() => readProxyEnv({ ...base, TRELLIS_POD_IP: 'x', TRELLIS_OPAQUE_PORTS: '70000' })).toThrow(
      /TRELLIS_POD_IP: Invalid IPv4 address; TRELLIS_OPAQUE_PORTS.*Too big/,
    );
  });
});
