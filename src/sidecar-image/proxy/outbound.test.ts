import { connect, createServer, type Server } from 'node:net';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ProxyConfigInput } from '../../api/proxy-config.js';
import { Balancer } from './balancer.js';
import { createInboundServer } from './inbound.js';
import { createOutboundServer } from './outbound.js';
import { Balancers } from './route-target.js';
import { testConfig } from './testing/config.js';
import { echoApp, listen, roundTrip, testContext } from './testing/harness.js';
import { issueLeaf, type Leaf, makeCa } from './testing/pki.js';

const ids = {
  orders: 'spiffe://cluster.local/ns/shop/sa/orders',
  frontend: 'spiffe://cluster.local/ns/shop/sa/frontend',
};
const clusterIp = '10.96.0.10';

describe('outbound listener', () => {
  let leaves: { orders: Leaf; frontend: Leaf };
  beforeAll(() => {
    const ca = makeCa();
    leaves = { orders: issueLeaf(ca, ids.orders), frontend: issueLeaf(ca, ids.frontend) };
  });
  const servers: Server[] = [];
  afterEach(() => {
    for (const s of servers.splice(0)) s.close();
  });

  /** An app that answers each connection with its name, then closes. */
  async function namedApp(name: string, host: string) {
    const server = createServer((s) => s.end(name));
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, host, r));
    return (server.address() as { port: number }).port;
  }

  /** A server-side proxy on `ip` (a loopback address) in front of an echo app. */
  async function serverPod(ip: string, mtlsMode: 'STRICT' | 'PERMISSIVE' = 'STRICT') {
    const app = await echoApp();
    servers.push(app.server);
    const t = testContext({
      config: testConfig({ mtlsMode }),
      leaf: leaves.orders,
      podIp: ip,
      dst: () => ({ address: ip, port: app.port }),
    });
    const inbound = createInboundServer(t.ctx);
    servers.push(inbound);
    await new Promise<void>((r) => inbound.listen(0, ip, r));
    return { port: (inbound.address() as { port: number }).port, ctx: t.ctx };
  }

  async function clientProxy(config: ProxyConfigInput, dst: { address: string; port: number }) {
    const t = testContext({ config, leaf: leaves.frontend, podIp: '127.0.0.1', dst: () => dst });
    const outbound = createOutboundServer(t.ctx, new Balancers(() => new Balancer()));
    servers.push(outbound);
    return { port: await listen(outbound), ctx: t.ctx };
  }

  const service = (
    endpoints: NonNullable<ProxyConfigInput['services'][number]['endpoints']>,
    lb?: 'ROUND_ROBIN',
  ) => ({
    name: 'orders',
    namespace: 'shop',
    clusterIps: [clusterIp],
    ports: [{ name: 'tcp', port: 9000, protocol: 'tcp' as const }],
    endpoints,
    ...(lb ? { loadBalancer: lb } : {}),
  });

  it('sends a ClusterIP connection over mTLS to the endpoint proxy, which hands it to the app', async () => {
    const peer = await serverPod('127.0.0.2');
    const config = testConfig({
      services: [
        service([
          {
            ip: '127.0.0.2',
            ports: { tcp: peer.port },
            ready: true,
            identity: ids.orders,
            workload: 'orders',
          },
        ]),
      ],
    });
    const proxy = await clientProxy(config, { address: clusterIp, port: 9000 });
    expect(await roundTrip(connect(proxy.port, '127.0.0.1'), 'via the mesh')).toBe('via the mesh');
    const out = (await proxy.ctx.metrics.tcpOpened.get()).values[0]?.labels;
    expect(out).toMatchObject({
      direction: 'outbound',
      destination_service: 'orders.shop',
      destination_workload: 'orders',
      tls: 'mtls',
    });
    const inn = (await peer.ctx.metrics.tcpOpened.get()).values[0]?.labels;
    expect(inn).toMatchObject({ direction: 'inbound', tls: 'mtls', source_namespace: 'shop' });
  });

  it('refuses an endpoint that presents another identity than the config says', async () => {
    const peer = await serverPod('127.0.0.2');
    const config = testConfig({
      services: [
        service([{ ip: '127.0.0.2', ports: { tcp: peer.port }, ready: true, identity: ids.frontend }]),
      ],
    });
    const proxy = await clientProxy(config, { address: clusterIp, port: 9000 });
    const got = await roundTrip(connect(proxy.port, '127.0.0.1'), 'secret').catch((e: Error) => e.message);
    expect(got).not.toContain('secret');
    const closed = (await proxy.ctx.metrics.tcpClosed.get()).values;
    expect(closed.map((v) => [v.labels.response_flags, v.value])).toEqual([['UF', 1]]);
  });

  it('speaks plaintext to an endpoint without an identity', async () => {
    const app = await echoApp();
    servers.push(app.server);
    const config = testConfig({
      services: [service([{ ip: '127.0.0.1', ports: { tcp: app.port }, ready: true }])],
    });
    const proxy = await clientProxy(config, { address: clusterIp, port: 9000 });
    expect(await roundTrip(connect(proxy.port, '127.0.0.1'), 'plain')).toBe('plain');
    expect((await proxy.ctx.metrics.tcpOpened.get()).values[0]?.labels.tls).toBe('none');
  });

  it('round robin alternates between endpoints', async () => {
    const a = await namedApp('a', '127.0.0.3');
    const b = await namedApp('b', '127.0.0.4');
    const config = testConfig({
      services: [
        service(
          [
            { ip: '127.0.0.3', ports: { tcp: a }, ready: true },
            { ip: '127.0.0.4', ports: { tcp: b }, ready: true },
          ],
          'ROUND_ROBIN',
        ),
      ],
    });
    const proxy = await clientProxy(config, { address: clusterIp, port: 9000 });
    const got: string[] = [];
    for (let i = 0; i < 4; i++) got.push(await roundTrip(connect(proxy.port, '127.0.0.1'), ''));
    expect(got).toEqual(['a', 'b', 'a', 'b']);
  });

  it('passes an unknown destination through under ALLOW_ANY and refuses it under REGISTRY_ONLY', async () => {
    const app = await echoApp();
    servers.push(app.server);
    const dst = { address: '127.0.0.1', port: app.port };
    const open = await clientProxy(testConfig(), dst);
    expect(await roundTrip(connect(open.port, '127.0.0.1'), 'out')).toBe('out');
    expect((await open.ctx.metrics.tcpOpened.get()).values[0]?.labels.destination_service).toBe(
      'passthrough',
    );

    const closed = await clientProxy(testConfig({ outboundTrafficPolicy: 'REGISTRY_ONLY' }), dst);
    const got = await roundTrip(connect(closed.port, '127.0.0.1'), 'out').catch((e: Error) => e.message);
    expect(got).not.toBe('out');
    const refused = (await closed.ctx.metrics.connectionsRefused.get()).values;
    expect(refused).toEqual([{ value: 1, labels: { direction: 'outbound', reason: 'registry_only' } }]);
  });

  it('has nowhere to send a service with no ready endpoint', async () => {
    const proxy = await clientProxy(testConfig({ services: [service([])] }), {
      address: clusterIp,
      port: 9000,
    });
    await roundTrip(connect(proxy.port, '127.0.0.1'), 'x').catch(() => undefined);
    const refused = (await proxy.ctx.metrics.connectionsRefused.get()).values;
    expect(refused).toEqual([{ value: 1, labels: { direction: 'outbound', reason: 'no_healthy_upstream' } }]);
  });

  /** A DestinationPolicy for `orders` with the given connection pool and outlier detection. */
  const ordersPolicy = (
    pool: Partial<Record<'maxConnections', number>>,
    outlierDetection?: { consecutiveConnectFailures: number },
  ): ProxyConfigInput['policies'] => ({
    destinations: [
      {
        namespace: 'shop',
        service: 'orders',
        source: 'DestinationPolicy shop/orders',
        policy: {
          loadBalancer: { algorithm: 'ROUND_ROBIN' },
          connectionPool: {
            maxConnections: 0,
            maxPendingRequests: 0,
            maxConcurrentRequests: 0,
            maxRequestsPerConnection: 0,
            connectTimeoutMs: 1_000,
            idleTimeoutMs: 60_000,
            ...pool,
          },
          outlierDetection: outlierDetection && {
            consecutive5xxErrors: 0,
            consecutiveGatewayErrors: 0,
            intervalMs: 10_000,
            baseEjectionTimeMs: 30_000,
            maxEjectionPercent: 50,
            panicThresholdPercent: 0,
            ...outlierDetection,
          },
        },
        retryBudget: { percent: 20, minRetriesPerSecond: 10, windowMs: 10_000 },
        subsets: [],
      },
    ],
  });

  it('closes an opaque TCP connection over maxConnections, counted as circuit open', async () => {
    const app = await echoApp();
    servers.push(app.server);
    const config = testConfig({
      services: [service([{ ip: '127.0.0.1', ports: { tcp: app.port }, ready: true }])],
      policies: ordersPolicy({ maxConnections: 1 }),
    });
    const proxy = await clientProxy(config, { address: clusterIp, port: 9000 });
    const first = connect(proxy.port, '127.0.0.1');
    first.write('one');
    await new Promise((r) => first.once('data', r));
    // The first connection is still open: a second one is refused.
    expect(await roundTrip(connect(proxy.port, '127.0.0.1'), 'two').catch((e: Error) => e.message)).not.toBe(
      'two',
    );
    expect(await roundTrip(first, '')).toBe('');
    await new Promise((r) => setTimeout(r, 50));
    expect(await roundTrip(connect(proxy.port, '127.0.0.1'), 'three')).toBe('three');
    const open = await proxy.ctx.metrics.registry.getSingleMetric('trellis_circuit_open_total')?.get();
    expect(open?.values.map((v) => [v.labels.limit, v.value])).toEqual([['connections', 1]]);
    const closed = (await proxy.ctx.metrics.tcpClosed.get()).values.map((v) => [
      v.labels.response_flags,
      v.value,
    ]);
    expect(closed).toContainEqual(['UO', 1]);
  });

  it('ejects an endpoint that refuses connections, after consecutive connect failures', async () => {
    const live = await namedApp('live', '127.0.0.4');
    const config = testConfig({
      services: [
        service([
          // Nothing listens on port 1 of 127.0.0.3: every connect is refused.
          { ip: '127.0.0.3', ports: { tcp: 1 }, ready: true },
          { ip: '127.0.0.4', ports: { tcp: live }, ready: true },
        ]),
      ],
      policies: ordersPolicy({}, { consecutiveConnectFailures: 2 }),
    });
    const proxy = await clientProxy(config, { address: clusterIp, port: 9000 });
    const got: string[] = [];
    for (let i = 0; i < 8; i++) {
      // A connection the proxy could not carry is closed without a byte.
      got.push((await roundTrip(connect(proxy.port, '127.0.0.1'), '').catch(() => '')) || 'closed');
    }
    // Round robin: the dead endpoint's turns fail twice, then it is ejected and every connection lands.
    expect(got).toEqual(['closed', 'live', 'closed', 'live', 'live', 'live', 'live', 'live']);
    const ejections = await proxy.ctx.metrics.registry
      .getSingleMetric('trellis_outlier_ejections_total')
      ?.get();
    expect(ejections?.values.map((v) => [v.labels.reason, v.value])).toEqual([
      ['consecutive_connect_failures', 1],
    ]);
  });
});
