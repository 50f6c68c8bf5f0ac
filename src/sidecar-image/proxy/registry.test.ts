import { describe, expect, it } from 'vitest';
import { parseProxyConfig } from '../../api/proxy-config.js';
import { Registry } from './registry.js';
import { testConfig } from './testing/config.js';

const parsed = parseProxyConfig(
  JSON.stringify(
    testConfig({
      services: [
        {
          name: 'orders',
          namespace: 'shop',
          clusterIps: ['10.96.0.10'],
          ports: [
            { name: 'http', port: 80, protocol: 'http' },
            { name: 'db', port: 5432 },
          ],
          endpoints: [
            {
              ip: '10.0.0.5',
              ports: { http: 8080, db: 5432 },
              ready: true,
              workload: 'orders',
              identity: 'spiffe://cluster.local/ns/shop/sa/orders',
            },
            { ip: '10.0.0.6', ports: { http: 8080 }, ready: false, workload: 'orders' },
            { ip: '10.0.0.7', ports: { http: 8081 }, ready: true },
          ],
        },
      ],
    }),
  ),
);
if (!parsed.ok) throw new Error(parsed.error);
const registry = new Registry(parsed.config);

describe('Registry', () => {
  it('maps ClusterIP:port to the ready endpoints with target ports resolved by port name', () => {
    const up = registry.service('10.96.0.10', 80);
    expect(up?.service.name).toBe('orders');
    expect(up?.protocol).toBe('http');
    expect(up?.endpoints.map((e) => `${e.endpoint.ip}:${e.port}`)).toEqual([
      '10.0.0.5:8080',
      '10.0.0.7:8081',
    ]);
    expect(registry.service('10.96.0.10', 5432)?.endpoints.map((e) => e.endpoint.ip)).toEqual(['10.0.0.5']);
    expect(registry.service('10.96.0.10', 81)).toBeUndefined();
  });

  it('finds a service port by namespace and name, the same upstream as by ClusterIP', () => {
    expect(registry.serviceByName('shop', 'orders', 80)).toBe(registry.service('10.96.0.10', 80));
    expect(registry.serviceByName('shop', 'orders', 81)).toBeUndefined();
    expect(registry.serviceByName('other', 'orders', 80)).toBeUndefined();
  });

  it('maps a pod IP and target port to its endpoint and the port protocol', () => {
    const pod = registry.pod('10.0.0.5', 8080);
    expect(pod?.endpoint.identity).toBe('spiffe://cluster.local/ns/shop/sa/orders');
    expect(pod?.protocol).toBe('http');
    expect(registry.pod('10.0.0.5', 5432)?.protocol).toBeUndefined();
    expect(registry.pod('10.0.0.6', 8080)).toBeUndefined();
  });

  it('knows a meshed pod by IP whatever the port, and only meshed ones', () => {
    expect(registry.meshedPod('10.0.0.5')?.endpoint.identity).toBe(
      'spiffe://cluster.local/ns/shop/sa/orders',
    );
    expect(registry.meshedPod('10.0.0.7')).toBeUndefined();
  });

  it('knows the workload of a pod IP, ready or not', () => {
    expect(registry.workloadOf('10.0.0.6')).toEqual({ workload: 'orders', namespace: 'shop' });
    expect(registry.workloadOf('10.0.0.7')).toBeUndefined();
  });
});
