import { describe, expect, it } from 'vitest';
import { Balancer } from './balancer.js';
import { Balancers, resolveTarget } from './route-target.js';
import { testConfig } from './testing/config.js';
import { registryOf } from './testing/harness.js';

const pod = { name: 'frontend-1', namespace: 'shop', ip: '10.0.0.9', serviceAccount: 'frontend' };
const registry = registryOf(
  testConfig({
    services: [
      {
        name: 'orders',
        namespace: 'shop',
        clusterIps: ['10.96.0.10'],
        ports: [{ name: 'http', port: 80, protocol: 'http' }],
        endpoints: [
          {
            ip: '10.0.0.5',
            ports: { http: 8080 },
            ready: true,
            workload: 'orders',
            identity: 'spiffe://cluster.local/ns/shop/sa/orders',
          },
        ],
      },
    ],
  }),
);

describe('resolveTarget', () => {
  const balancers = new Balancers(() => new Balancer());
  const resolve = (address: string, port: number) =>
    resolveTarget(registry, balancers, { address, port }, pod, [15001, 15006]);

  it('sends a ClusterIP to an endpoint at its target port, with its identity and the port protocol', () => {
    const r = resolve('10.96.0.10', 80);
    expect(r.kind === 'target' && { ...r.target, release: undefined, destination: undefined }).toEqual({
      host: '10.0.0.5',
      port: 8080,
      identity: 'spiffe://cluster.local/ns/shop/sa/orders',
      protocol: 'http',
      destinationService: 'orders.shop',
      destinationWorkload: 'orders',
      release: undefined,
      destination: undefined,
    });
    if (r.kind === 'target') r.target.release();
    expect(balancers.for('shop/orders:http').load('10.0.0.5:8080')).toBe(0);
  });

  it('sends a known pod IP to that pod', () => {
    const r = resolve('10.0.0.5', 8080);
    expect(r.kind === 'target' && r.target.identity).toBe('spiffe://cluster.local/ns/shop/sa/orders');
  });

  it('reaches a meshed pod over mTLS on a port no service declares', () => {
    const r = resolve('10.0.0.5', 9999);
    expect(r.kind === 'target' && [r.target.port, r.target.identity, r.target.destinationWorkload]).toEqual([
      9999,
      'spiffe://cluster.local/ns/shop/sa/orders',
      'orders',
    ]);
  });

  it('refuses a connection back into its own proxy ports', () => {
    expect(resolve('10.0.0.9', 15001)).toEqual({ kind: 'refuse', reason: 'loop' });
  });

  it('passes an unknown address through', () => {
    const r = resolve('93.184.216.34', 443);
    expect(
      r.kind === 'target' && [r.target.host, r.target.port, r.target.identity, r.target.destinationService],
    ).toEqual(['93.184.216.34', 443, undefined, 'passthrough']);
  });

  it("balances a connection with the DestinationPolicy's algorithm over the Service's own", () => {
    const pool = {
      maxConnections: 0,
      maxPendingRequests: 0,
      maxConcurrentRequests: 0,
      maxRequestsPerConnection: 0,
      connectTimeoutMs: 1000,
      idleTimeoutMs: 1000,
    };
    const two = registryOf(
      testConfig({
        services: [
          {
            name: 'db',
            namespace: 'shop',
            clusterIps: ['10.96.0.11'],
            ports: [{ name: 'tcp', port: 5432 }],
            endpoints: ['10.0.0.21', '10.0.0.22'].map((ip) => ({ ip, ports: { tcp: 5432 }, ready: true })),
            loadBalancer: 'LEAST_REQUEST',
          },
        ],
        policies: {
          destinations: [
            {
              namespace: 'shop',
              service: 'db',
              source: 'DestinationPolicy shop/db',
              policy: { loadBalancer: { algorithm: 'ROUND_ROBIN' }, connectionPool: pool },
              retryBudget: { percent: 20, minRetriesPerSecond: 10, windowMs: 10_000 },
              subsets: [],
            },
          ],
        },
      }),
    );
    const b = new Balancers(() => new Balancer(() => 0));
    // Least request with draws of 0 would take 10.0.0.21 every time while nothing is in flight.
    const hosts = [1, 2, 3, 4].map(() => {
      const r = resolveTarget(two, b, { address: '10.96.0.11', port: 5432 }, pod, []);
      if (r.kind !== 'target') throw new Error(r.reason);
      r.target.release();
      return r.target.host;
    });
    expect(hosts).toEqual(['10.0.0.21', '10.0.0.22', '10.0.0.21', '10.0.0.22']);
  });
});
