import { X509Certificate } from 'node:crypto';
import { connect } from 'node:net';
import { createServer as createTlsServer, connect as tlsConnect } from 'node:tls';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ProxyConfigInput } from '../../api/proxy-config.js';
import { createInboundServer } from './inbound.js';
import { testConfig } from './testing/config.js';
import { echoApp, listen, roundTrip, testContext } from './testing/harness.js';
import { issueLeaf, type Leaf, makeCa } from './testing/pki.js';

const td = 'cluster.local';
const ids = {
  orders: `spiffe://${td}/ns/shop/sa/orders`,
  frontend: `spiffe://${td}/ns/shop/sa/frontend`,
};

describe('inbound listener', () => {
  let pki: { server: Leaf; client: Leaf; foreign: Leaf; expired: Leaf; otherDomain: Leaf };
  beforeAll(() => {
    const ca = makeCa();
    const foreignCa = makeCa('foreign');
    pki = {
      server: issueLeaf(ca, ids.orders),
      client: issueLeaf(ca, ids.frontend),
      foreign: { ...issueLeaf(foreignCa, ids.frontend), ca: ca.cert },
      expired: issueLeaf(ca, ids.frontend, { days: -1 }),
      otherDomain: issueLeaf(ca, 'spiffe://elsewhere/ns/shop/sa/frontend'),
    };
  });
  const cleanup: (() => void)[] = [];
  afterEach(() => {
    for (const c of cleanup.splice(0)) c();
  });

  async function setup(mtlsMode: 'STRICT' | 'PERMISSIVE' | 'DISABLE') {
    const app = await echoApp();
    const config: ProxyConfigInput = testConfig({
      mtlsMode,
      services: [
        {
          name: 'orders',
          namespace: 'shop',
          clusterIps: ['10.96.0.10'],
          ports: [{ name: 'tcp', port: 9000 }],
          endpoints: [{ ip: '10.0.0.5', ports: { tcp: app.port }, ready: true, workload: 'orders' }],
        },
        {
          name: 'frontend',
          namespace: 'shop',
          clusterIps: [],
          ports: [],
          endpoints: [{ ip: '127.0.0.1', ports: {}, ready: true, workload: 'frontend' }],
        },
      ],
    });
    const t = testContext({
      config,
      leaf: pki.server,
      dst: () => ({ address: '10.0.0.5', port: app.port }),
      timeouts: { detectMs: 200 },
    });
    const server = createInboundServer(t.ctx);
    const port = await listen(server);
    cleanup.push(
      () => server.close(),
      () => app.server.close(),
    );
    return { ...t, port };
  }

  const mtlsClient = (port: number, leaf: Leaf) =>
    tlsConnect({
      host: '127.0.0.1',
      port,
      cert: leaf.cert,
      key: leaf.key,
      ca: leaf.ca,
      ALPNProtocols: ['trellis-tcp'],
      checkServerIdentity: () => undefined,
    });

  const expected = {
    foreign: 'peer certificate refused: certificate is not issued by the mesh CA in ca.crt',
    expired: expect.stringMatching(/^peer certificate refused: certificate O=trellis expired /),
    otherDomain: 'peer spiffe://elsewhere/ns/shop/sa/frontend is outside cluster.local',
  };
  const refused = async (t: Awaited<ReturnType<typeof setup>>) =>
    Object.fromEntries(
      (await t.ctx.metrics.connectionsRefused.get()).values.map((v) => [v.labels.reason, v.value]),
    );

  it('terminates mTLS from a mesh peer and forwards to the app, labelled with both workloads', async () => {
    const t = await setup('STRICT');
    expect(await roundTrip(mtlsClient(t.port, pki.client), 'hello over mTLS')).toBe('hello over mTLS');
    const opened = (await t.ctx.metrics.tcpOpened.get()).values;
    expect(opened).toEqual([
      {
        value: 1,
        labels: {
          direction: 'inbound',
          source_workload: 'frontend',
          source_namespace: 'shop',
          destination_service: 'orders.shop',
          destination_workload: 'orders',
          response_flags: '-',
          tls: 'mtls',
        },
      },
    ]);
  });

  it('serves plaintext in PERMISSIVE', async () => {
    const t = await setup('PERMISSIVE');
    expect(await roundTrip(connect(t.port, '127.0.0.1'), 'plain')).toBe('plain');
    expect((await t.ctx.metrics.tcpOpened.get()).values[0]?.labels.tls).toBe('none');
  });

  it('serves a server-first client (silent until it hears from the app) after the detection timeout', async () => {
    const t = await setup('PERMISSIVE');
    const c = connect(t.port, '127.0.0.1');
    await new Promise((r) => setTimeout(r, 300));
    expect(await roundTrip(c, 'late')).toBe('late');
  });

  it('refuses plaintext in STRICT', async () => {
    const t = await setup('STRICT');
    const got = await roundTrip(connect(t.port, '127.0.0.1'), 'plain').catch((e: Error) => e.message);
    expect(got).not.toContain('plain');
    expect(await refused(t)).toEqual({ plaintext_in_strict: 1 });
  });

  it.each([
    ['from another CA', 'foreign'],
    ['that has expired', 'expired'],
    ['from another trust domain', 'otherDomain'],
  ] as const)('refuses a client certificate %s', async (_name, which) => {
    const t = await setup('PERMISSIVE');
    const got = await roundTrip(mtlsClient(t.port, pki[which]), 'secret').catch((e: Error) => e.message);
    expect(got).not.toContain('secret');
    expect(await refused(t)).toEqual({ tls_handshake: 1 });
    const reason = t.logs.lines().find((l) => l.msg === 'inbound mTLS refused')?.err;
    expect(reason).toEqual(expected[which]);
    expect((await t.ctx.metrics.tcpOpened.get()).values).toEqual([]);
  });

  it("passes TLS that is not the mesh's (no Trellis ALPN) to an app that terminates it, in PERMISSIVE", async () => {
    const appCert = issueLeaf(makeCa('app-own-ca'), 'spiffe://app.example/own');
    const tlsApp = createTlsServer({ cert: appCert.cert, key: appCert.key }, (s) => s.pipe(s));
    const appPort = await listen(tlsApp);
    cleanup.push(() => tlsApp.close());
    const t = testContext({
      config: testConfig({ mtlsMode: 'PERMISSIVE' }),
      leaf: pki.server,
      dst: () => ({ address: '10.0.0.5', port: appPort }),
      timeouts: { detectMs: 200 },
    });
    const server = createInboundServer(t.ctx);
    const port = await listen(server);
    cleanup.push(() => server.close());
    const client = tlsConnect({
      host: '127.0.0.1',
      port,
      ALPNProtocols: ['h2', 'http/1.1'],
      rejectUnauthorized: false,
    });
    await new Promise((r) => client.once('secureConnect', r));
    expect(client.getPeerX509Certificate()?.fingerprint256).toBe(
      new X509Certificate(appCert.cert).fingerprint256,
    );
    expect(await roundTrip(client, 'app tls')).toBe('app tls');
    expect((await t.ctx.metrics.tcpOpened.get()).values[0]?.labels.tls).toBe('none');
  });

  it('refuses TLS that is not the mesh in STRICT', async () => {
    const t = await setup('STRICT');
    const client = tlsConnect({
      host: '127.0.0.1',
      port: t.port,
      ALPNProtocols: ['h2'],
      rejectUnauthorized: false,
    });
    const got = await roundTrip(client, 'x').catch((e: Error) => e.message);
    expect(got).not.toBe('x');
    expect(await refused(t)).toEqual({ tls_not_mesh_in_strict: 1 });
  });

  it('picks up a rotated server certificate for new connections', async () => {
    const t = await setup('STRICT');
    const longLived = mtlsClient(t.port, pki.client);
    longLived.write('before ');
    await new Promise((r) => longLived.once('data', r));
    const ca2 = makeCa('next');
    t.setLeaf(issueLeaf(ca2, ids.orders));
    // The old connection keeps its context; a client of the old CA can no longer start a new one.
    expect(await roundTrip(longLived, 'after')).toBe('after');
    const got = await roundTrip(mtlsClient(t.port, pki.client), 'x').catch((e: Error) => e.message);
    expect(got).not.toBe('x');
  });
});
