import { Agent, createServer, type IncomingHttpHeaders, type RequestListener, request } from 'node:http';
import type { ProxyConfigInput } from '../../../api/proxy-config.js';
import type { TrafficPoliciesInput } from '../../../api/proxy-config-policies.js';
import { Balancer } from '../balancer.js';
import { H2Sessions } from '../h2-forward.js';
import { createOutboundH2 } from '../h2-outbound.js';
import { createOutboundHttp } from '../http-outbound.js';
import { createOutboundServer } from '../outbound.js';
import { Pools } from '../pools.js';
import { Balancers } from '../route-target.js';
import { testConfig } from './config.js';
import { listen, testContext } from './harness.js';
import { issueLeaf, makeCa } from './pki.js';

export const clientId = 'spiffe://cluster.local/ns/shop/sa/frontend';

/** A plain HTTP app on its own loopback address (outlier detection keys endpoints by IP). */
export interface App {
  ip: string;
  labels?: Record<string, string>;
  handler: RequestListener;
}

/** Apps listening on their loopback addresses, with the endpoints a service lists for them. */
export async function startApps(apps: App[]) {
  const servers = apps.map((a) => createServer({ keepAliveTimeout: 60_000 }, a.handler));
  const ports = await Promise.all(
    servers.map(
      (s, i) =>
        new Promise<number>((resolve) =>
          s.listen(0, apps[i]?.ip, () => resolve((s.address() as { port: number }).port)),
        ),
    ),
  );
  return {
    servers,
    endpoints: apps.map((a, i) => ({
      ip: a.ip,
      ports: { http: ports[i] as number },
      ready: true,
      workload: `app-${a.ip}`,
      labels: a.labels ?? {},
    })),
    close: () => {
      for (const s of servers) {
        s.closeAllConnections();
        s.close();
      }
    },
  };
}

/**
 * The client pod's proxy alone, in-process on loopback: its outbound listener with the real HTTP
 * path and the given services and policies; every connection "was for" `dst` (the ClusterIP the
 * app dialled). Apps are reached over plaintext (their endpoints carry no identity).
 */
export async function startClient(opts: {
  config: Partial<ProxyConfigInput>;
  dst: { address: string; port: number };
  random?: () => number;
}) {
  const ca = makeCa();
  const client = testContext({
    config: testConfig(opts.config),
    leaf: issueLeaf(ca, clientId),
    podIp: '127.0.0.1',
    dst: () => opts.dst,
  });
  const balancers = new Balancers(() => new Balancer());
  const pools = new Pools(client.ctx);
  const sessions = new H2Sessions(client.ctx);
  const outbound = createOutboundServer(
    client.ctx,
    balancers,
    createOutboundHttp(client.ctx, balancers, pools, undefined, opts.random),
    createOutboundH2(client.ctx, balancers, sessions, undefined, opts.random),
  );
  const port = await listen(outbound);
  return {
    port,
    client,
    /** The counter's values by label set, e.g. `trellis_retries_total`. */
    counter: async (name: string) =>
      (await client.ctx.metrics.registry.getSingleMetric(name)?.get())?.values ?? [],
    close: () => {
      pools.destroy();
      sessions.destroy();
      outbound.close();
    },
  };
}

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

interface CallOptions {
  path?: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  agent?: Agent;
}

/** One request to the proxy, the body as the bytes that came; `agent` keeps connections alive across calls. */
export function callBytes(
  port: number,
  opts: CallOptions = {},
): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: opts.path ?? '/',
        method: opts.method ?? 'GET',
        headers: opts.headers,
        agent: opts.agent,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** One request to the proxy, the body as text. */
export async function call(port: number, opts: CallOptions = {}): Promise<Reply> {
  const reply = await callBytes(port, opts);
  return { ...reply, body: reply.body.toString() };
}

/** `n` requests one after another on one kept-alive connection. */
export async function callSeries(port: number, n: number, opts: Parameters<typeof call>[1] = {}) {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const out: Reply[] = [];
  try {
    for (let i = 0; i < n; i++) out.push(await call(port, { ...opts, agent }));
  } finally {
    agent.destroy();
  }
  return out;
}

/** A service `web.shop` at ClusterIP 10.96.0.30:80 over the given endpoints. */
export function webService(endpoints: Awaited<ReturnType<typeof startApps>>['endpoints'], name = 'web') {
  return {
    name,
    namespace: 'shop',
    clusterIps: [name === 'web' ? '10.96.0.30' : '10.96.0.31'],
    ports: [{ name: 'http', port: 80 }],
    endpoints,
  };
}

/** mulberry32: a seeded PRNG, so percentage decisions are the same on every run. */
export function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Policies = TrafficPoliciesInput;
