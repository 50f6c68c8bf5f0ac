import { createServer, type Server as HttpServer, type RequestListener } from 'node:http';
import type { Server } from 'node:net';
import type { ProxyConfigInput } from '../../../api/proxy-config.js';
import { Balancer } from '../balancer.js';
import { defaultH1Limits, type H1Limits } from '../h1/forward.js';
import { H2Sessions } from '../h2-forward.js';
import { createInboundH2 } from '../h2-inbound.js';
import { createOutboundH2 } from '../h2-outbound.js';
import { createInboundHttp } from '../http-inbound.js';
import { createOutboundHttp } from '../http-outbound.js';
import { createInboundServer } from '../inbound.js';
import { createOutboundServer } from '../outbound.js';
import { Pools } from '../pools.js';
import { Balancers } from '../route-target.js';
import { testConfig } from './config.js';
import { listen, testContext } from './harness.js';
import { issueLeaf, makeCa } from './pki.js';

export const ids = {
  client: 'spiffe://cluster.local/ns/shop/sa/frontend',
  server: 'spiffe://cluster.local/ns/shop/sa/web',
};
export const clusterIp = '10.96.0.20';

/**
 * Two proxies on loopback as two pods would have them: the client pod's
 * outbound listener (127.0.0.1) and the server pod's inbound listener
 * (127.0.0.2) in front of an HTTP app. `dst` stands in for SO_ORIGINAL_DST
 * on both sides: the client "dials" the ClusterIP, the server proxy's
 * connections "were for" the app port.
 */
export async function startPair(opts: {
  app: RequestListener;
  onAppServer?: (s: HttpServer) => void;
  config?: Partial<ProxyConfigInput>;
  /** The engine's limits on both listeners, over its defaults. */
  limits?: Partial<H1Limits>;
  endpointPort?: number;
  /** The client proxy's idle timeout for the app's HTTP/2 connections. */
  h2IdleMs?: number;
  /** Where the server pod's proxy sends its connections instead of `app` (another kind of app). */
  appPort?: number;
}) {
  const ca = makeCa();
  const closers: (() => void)[] = [];
  const app = createServer(opts.app);
  opts.onAppServer?.(app);
  const appPort = await listen(app);
  closers.push(() => {
    app.closeAllConnections();
    app.close();
  });

  const server = testContext({
    config: testConfig(),
    leaf: issueLeaf(ca, ids.server),
    podIp: '127.0.0.2',
    dst: () => ({ address: '127.0.0.2', port: opts.appPort ?? appPort }),
  });
  const serverPools = new Pools(server.ctx);
  const serverSessions = new H2Sessions(server.ctx);
  const inbound: Server = createInboundServer(
    server.ctx,
    createInboundHttp(server.ctx, serverPools, { ...defaultH1Limits, ...opts.limits }),
    createInboundH2(server.ctx, serverSessions),
  );
  await new Promise<void>((r) => inbound.listen(0, '127.0.0.2', r));
  const inboundPort = (inbound.address() as { port: number }).port;
  let peerConnections = 0;
  inbound.on('connection', () => peerConnections++);

  const config = testConfig({
    services: [
      {
        name: 'web',
        namespace: 'shop',
        clusterIps: [clusterIp],
        ports: [{ name: 'http', port: 80 }],
        endpoints: [
          {
            ip: '127.0.0.2',
            ports: { http: opts.endpointPort ?? inboundPort },
            ready: true,
            workload: 'web',
            identity: ids.server,
          },
        ],
      },
    ],
    ...opts.config,
  });
  const client = testContext({
    config,
    leaf: issueLeaf(ca, ids.client),
    podIp: '127.0.0.1',
    dst: () => ({ address: clusterIp, port: 80 }),
  });
  const balancers = new Balancers(() => new Balancer());
  const clientPools = new Pools(client.ctx);
  const clientSessions = new H2Sessions(client.ctx);
  const outbound = createOutboundServer(
    client.ctx,
    balancers,
    createOutboundHttp(client.ctx, balancers, clientPools, { ...defaultH1Limits, ...opts.limits }),
    createOutboundH2(client.ctx, balancers, clientSessions, opts.h2IdleMs),
  );
  const port = await listen(outbound);
  closers.push(() => {
    clientPools.destroy();
    serverPools.destroy();
    clientSessions.destroy();
    serverSessions.destroy();
    outbound.close();
    inbound.close();
  });
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    client,
    server,
    serverInboundPort: inboundPort,
    peerConnections: () => peerConnections,
    close: () => {
      for (const c of closers) c();
    },
  };
}
