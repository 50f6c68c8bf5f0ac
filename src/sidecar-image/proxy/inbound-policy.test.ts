import { Agent, type ClientRequestArgs, createServer, request } from 'node:http';
import { createServer as h2server } from 'node:http2';
import { connect } from 'node:net';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import type { ProxyConfigInput } from '../../api/proxy-config.js';
import type { TrafficPoliciesInput } from '../../api/proxy-config-policies.js';
import { H2Sessions } from './h2-forward.js';
import { createInboundH2 } from './h2-inbound.js';
import { createInboundHttp } from './http-inbound.js';
import type { TlsState } from './identity-store.js';
import { createInboundServer } from './inbound.js';
import { alpn, connectMtls, requireSpiffeId } from './mtls.js';
import { defaultConnectionPool } from './policy/defaults.js';
import { Pools } from './pools.js';
import { testConfig } from './testing/config.js';
import { echoApp, listen, testContext, tlsStateOf } from './testing/harness.js';
import { type Ca, issueLeaf, makeCa } from './testing/pki.js';

/**
 * The inbound policy end to end on loopback: the server pod's real inbound listener (mTLS
 * termination, HTTP front, opaque TCP) in front of real apps, called over real mTLS by clients
 * holding certificates for different SPIFFE IDs.
 */

const td = 'spiffe://cluster.local/ns';
const ids = {
  server: `${td}/shop/sa/web`,
  frontend: `${td}/shop/sa/frontend`,
  admin: `${td}/ops/sa/admin`,
  other: `${td}/shop/sa/other`,
};
const podIp = '127.0.0.2';

const closers: (() => void)[] = [];
afterEach(() => {
  for (const c of closers.splice(0)) c();
});

async function server(policies: TrafficPoliciesInput, extra: Partial<ProxyConfigInput> = {}) {
  const ca = makeCa();
  const app = createServer((req, res) => res.end(`app ${req.url}`));
  const appPort = await listen(app);
  const echo = await echoApp();
  const config = testConfig({
    services: [
      {
        name: 'web',
        namespace: 'shop',
        clusterIps: ['10.96.0.40'],
        ports: [
          { name: 'http', port: 80 },
          { name: 'tcp', port: 9000, protocol: 'tcp' },
        ],
        endpoints: [
          {
            ip: podIp,
            ports: { http: appPort, tcp: echo.port },
            ready: true,
            workload: 'web',
            labels: { app: 'web' },
          },
        ],
      },
    ],
    policies,
    ...extra,
  });
  // Which app port each accepted connection "was for": set by the test before it connects.
  const target = { port: appPort };
  const t = testContext({
    config,
    leaf: issueLeaf(ca, ids.server),
    podIp,
    dst: () => ({ address: podIp, port: target.port }),
    timeouts: { detectMs: 200 },
  });
  const pools = new Pools(t.ctx);
  const sessions = new H2Sessions(t.ctx);
  const inbound = createInboundServer(
    t.ctx,
    createInboundHttp(t.ctx, pools),
    createInboundH2(t.ctx, sessions),
  );
  await new Promise<void>((r) => inbound.listen(0, podIp, r));
  const port = (inbound.address() as { port: number }).port;
  closers.push(() => {
    pools.destroy();
    sessions.destroy();
    inbound.close();
    app.closeAllConnections();
    app.close();
    echo.server.close();
  });
  return { ca, t, port, target, appPort, tcpPort: echo.port };
}

/** A keep-alive agent whose connections are mTLS holding `id`'s certificate, as a calling proxy's would be. */
class MtlsAgent extends Agent {
  constructor(private readonly state: TlsState) {
    super({ keepAlive: true });
  }

  override createConnection(options: ClientRequestArgs): Duplex {
    return tlsConnect({
      host: options.host ?? '',
      port: Number(options.port),
      servername: '',
      secureContext: this.state.client,
      ALPNProtocols: [alpn.http1],
      checkServerIdentity: requireSpiffeId(ids.server),
    });
  }
}

function agentAs(ca: Ca, id: string): Agent {
  const agent = new MtlsAgent(tlsStateOf(issueLeaf(ca, id)));
  closers.push(() => agent.destroy());
  return agent;
}

function get(port: number, path: string, agent?: Agent) {
  return new Promise<{ status: number; flags: string | undefined; retryAfter: string | undefined }>(
    (resolve, reject) => {
      const req = request({ host: podIp, port, path, agent }, (res) => {
        res.resume();
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            flags: res.headers['x-trellis-response-flags'] as string | undefined,
            retryAfter: res.headers['retry-after'] as string | undefined,
          }),
        );
      });
      req.on('error', reject);
      req.end();
    },
  );
}

const decisions = async (t: Awaited<ReturnType<typeof server>>['t']) =>
  ((await t.ctx.metrics.registry.getSingleMetric('trellis_authz_decisions_total')?.get())?.values ?? []).map(
    (v) => [v.labels.result, v.labels.reason, v.labels.policy, v.value],
  );

const authorization: TrafficPoliciesInput['authorization'] = [
  {
    namespace: 'shop',
    selector: { app: 'web' },
    action: 'ALLOW',
    source: 'AuthorizationPolicy shop/allow-callers',
    rules: [
      {
        from: [
          {
            principals: [
              { kind: 'exact', value: ids.frontend },
              { kind: 'suffix', value: '/sa/admin' },
            ],
          },
        ],
      },
    ],
  },
  {
    namespace: 'shop',
    action: 'DENY',
    source: 'AuthorizationPolicy shop/deny-secret',
    rules: [{ from: [{ namespaces: ['ops'] }], to: [{ paths: [{ kind: 'prefix', value: '/secret' }] }] }],
  },
];

describe('inbound traffic policy through a real proxy', () => {
  it('allows and denies HTTP requests by caller identity, DENY winning over ALLOW', async () => {
    const s = await server({ authorization });
    const frontend = agentAs(s.ca, ids.frontend);
    const admin = agentAs(s.ca, ids.admin);
    const other = agentAs(s.ca, ids.other);
    expect(await get(s.port, '/secret', frontend)).toMatchObject({ status: 200 });
    expect(await get(s.port, '/', admin)).toMatchObject({ status: 200 });
    // admin is allowed by the ALLOW policy, but the DENY policy for namespace ops and /secret wins.
    expect(await get(s.port, '/secret/x', admin)).toMatchObject({ status: 403, flags: 'RBAC' });
    expect(await get(s.port, '/', other)).toMatchObject({ status: 403, flags: 'RBAC' });
    // A plaintext caller (PERMISSIVE) has no identity: not allowed.
    expect(await get(s.port, '/')).toMatchObject({ status: 403, flags: 'RBAC' });
    expect(await decisions(s.t)).toEqual([
      ['allow', 'allowed', 'AuthorizationPolicy shop/allow-callers', 2],
      ['deny', 'denied', 'AuthorizationPolicy shop/deny-secret', 1],
      ['deny', 'not-allowed', '', 2],
    ]);
    const byOutcome = new Map<string, number>();
    for (const v of (await s.t.ctx.metrics.requests.get()).values) {
      const k = `${v.labels.response_code} ${v.labels.response_flags}`;
      byOutcome.set(k, (byOutcome.get(k) ?? 0) + v.value);
    }
    expect(Object.fromEntries(byOutcome)).toEqual({ '200 -': 2, '403 RBAC': 3 });
  });

  it('refuses an Upgrade from a caller the policy denies, before it reaches the app', async () => {
    const s = await server({ authorization });
    const upgrade = (agent: Agent) =>
      new Promise<number>((resolve, reject) => {
        const req = request({
          host: podIp,
          port: s.port,
          path: '/ws',
          agent,
          headers: { connection: 'Upgrade', upgrade: 'websocket' },
        });
        req.on('upgrade', (res, socket) => {
          socket.destroy();
          resolve(res.statusCode ?? 0);
        });
        req.on('response', (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
    expect(await upgrade(agentAs(s.ca, ids.other))).toBe(403);
    const closed = (await s.t.ctx.metrics.tcpClosed.get()).values.map((v) => [
      v.labels.response_flags,
      v.value,
    ]);
    expect(closed).toEqual([['RBAC', 1]]);
  });

  it('closes a denied opaque TCP connection and splices an allowed one', async () => {
    const s = await server({ authorization });
    s.target.port = s.tcpPort;
    const tls = (id: string) => {
      const caller = testContext({ config: testConfig(), leaf: issueLeaf(s.ca, id), dst: () => undefined });
      const state = caller.ctx.tls();
      if (!state) throw new Error('no identity');
      return connectMtls(
        { host: podIp, port: s.port, expectedId: ids.server, protocol: 'tcp', connectMs: 2_000 },
        state,
      );
    };
    const talk = (sock: Awaited<ReturnType<typeof tls>>) =>
      new Promise<string>((resolve) => {
        let got = '';
        // An allowed connection ends once the echo is back; a denied one is closed by the proxy.
        const safety = setTimeout(() => sock.end(), 3_000);
        sock.on('data', (d: Buffer) => {
          got += d;
          if (got === 'ping') sock.end();
        });
        sock.on('close', () => {
          clearTimeout(safety);
          resolve(got);
        });
        sock.on('error', () => {});
        sock.write('ping');
      });
    expect(await talk(await tls(ids.frontend))).toBe('ping');
    expect(await talk(await tls(ids.other))).toBe('');
    const closed = (await s.t.ctx.metrics.tcpClosed.get()).values.map((v) => [
      v.labels.response_flags,
      v.value,
    ]);
    expect(closed).toContainEqual(['RBAC', 1]);
  });

  it('limits each calling identity to its own bucket with the per-identity rate limit (429 RL)', async () => {
    const s = await server({
      destinations: [
        {
          namespace: 'shop',
          service: 'web',
          source: 'DestinationPolicy shop/web',
          policy: {
            loadBalancer: { algorithm: 'LEAST_REQUEST' },
            connectionPool: defaultConnectionPool,
            rateLimit: { maxTokens: 2, tokensPerFill: 1, fillIntervalMs: 60_000, perIdentity: true },
          },
          retryBudget: { percent: 20, minRetriesPerSecond: 10, windowMs: 10_000 },
          subsets: [],
        },
      ],
    });
    const frontend = agentAs(s.ca, ids.frontend);
    const admin = agentAs(s.ca, ids.admin);
    const f = [];
    for (let i = 0; i < 3; i++) f.push(await get(s.port, '/', frontend));
    expect(f.map((r) => r.status)).toEqual([200, 200, 429]);
    expect(f[2]).toMatchObject({ flags: 'RL', retryAfter: '60' });
    expect((await get(s.port, '/', admin)).status).toBe(200);
  });

  it('takes the mTLS mode per port from the workload PeerAuthentication', async () => {
    const s = await server(
      {
        peerAuthentication: [
          {
            scope: 'workload',
            namespace: 'shop',
            selector: { app: 'web' },
            mode: 'PERMISSIVE',
            portModes: [{ port: 9000, mode: 'STRICT' }],
            source: 'PeerAuthentication shop/web',
          },
        ],
      },
      { mtlsMode: 'STRICT' },
    );
    // The workload policy's PERMISSIVE overrides the mesh STRICT on the HTTP port...
    expect((await get(s.port, '/plain')).status).toBe(200);
    // ...while its port mode keeps 9000 STRICT: plaintext is refused there.
    s.target.port = 9000;
    const refused = await new Promise<boolean>((resolve) => {
      const sock = connect(s.port, podIp, () => sock.write('hello'));
      sock.on('data', () => resolve(false));
      sock.on('close', () => resolve(true));
      sock.on('error', () => {});
    });
    expect(refused).toBe(true);
    const reasons = (await s.t.ctx.metrics.connectionsRefused.get()).values.map((v) => v.labels.reason);
    expect(reasons).toEqual(['plaintext_in_strict']);
  });

  it('authorizes HTTP/2 streams per request the same way', async () => {
    const s = await server({ authorization });
    const app = h2server();
    app.on('stream', (stream) => {
      stream.respond({ ':status': 200 });
      stream.end('h2 app');
    });
    s.target.port = await new Promise<number>((r) =>
      app.listen(0, '127.0.0.1', () => r((app.address() as { port: number }).port)),
    );
    closers.push(() => app.close());
    const status = (id: string, path: string) => {
      const caller = testContext({ config: testConfig(), leaf: issueLeaf(s.ca, id), dst: () => undefined });
      const sessions = new H2Sessions(caller.ctx);
      closers.push(() => sessions.destroy());
      const session = sessions.for({ host: podIp, port: s.port, identity: ids.server });
      return new Promise<[unknown, unknown]>((resolve, reject) => {
        const req = session.request({ ':path': path });
        req.on('response', (h) => resolve([h[':status'], h['x-trellis-response-flags']]));
        req.on('error', reject);
        req.resume();
        req.end();
      });
    };
    expect(await status(ids.frontend, '/')).toEqual([200, undefined]);
    expect(await status(ids.admin, '/secret')).toEqual([403, 'RBAC']);
    expect(await status(ids.other, '/')).toEqual([403, 'RBAC']);
  });
});
