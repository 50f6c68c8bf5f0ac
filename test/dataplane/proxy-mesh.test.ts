import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ports, spiffeId } from '../../src/api/names.js';
import type { ProxyConfigInput } from '../../src/api/proxy-config.js';
import {
  issueLeaf,
  type Leaf,
  makeCa,
  writeAtomicVolume,
} from '../../src/sidecar-image/proxy/testing/pki.js';
import type { Pod, PodNetwork, PodProcess } from '../support/netns.js';
import { identityFiles, meshNetwork, startMeshProxy, volumes } from './mesh.js';
import { app, connectFrom, type Listener, listen, td, tsx } from './pods.js';

/**
 * Two meshed pods (a: client, b: server), each with trellis-init's rules, a
 * trellis-proxy running as UID 1337 and a plain app; c is unmeshed. The apps
 * know nothing of the proxies.
 */

const path = (relative: string) => fileURLToPath(new URL(relative, import.meta.url));
const firstBytes = path('../../src/sidecar-image/proxy/testing/first-bytes.ts');
const echoApp = path('../../src/sidecar-image/proxy/testing/echo-app.ts');
const steadyClient = path('../../src/sidecar-image/proxy/testing/steady-client.ts');
const httpApp = path('../../src/sidecar-image/proxy/testing/http-app.ts');
const h2App = path('../../src/sidecar-image/proxy/testing/h2-app.ts');

const clusterIp = '10.96.120.10';

let network: PodNetwork;
let a: Pod;
let b: Pod;
let c: Pod;
const proxies: Record<string, PodProcess> = {};
let bApp: Listener;
let wire: PodProcess;

const { volume, remove: removeVolumes } = volumes('trellis-dp-');

function config(): ProxyConfigInput {
  return {
    schemaVersion: 1,
    namespace: 'shop',
    trustDomain: td,
    mtlsMode: 'STRICT',
    services: [
      {
        name: 'b',
        namespace: 'shop',
        clusterIps: [clusterIp],
        ports: [
          { name: 'tcp', port: 80 },
          { name: 'http', port: 8081 },
          { name: 'grpc', port: 8082 },
        ],
        endpoints: [
          {
            ip: b.ip,
            ports: { tcp: 8080, http: 8081, grpc: 8082 },
            ready: true,
            workload: 'b',
            identity: spiffeId(td, 'shop', 'b'),
          },
        ],
      },
      {
        name: 'a',
        namespace: 'shop',
        clusterIps: [],
        ports: [],
        endpoints: [{ ip: a.ip, ports: {}, ready: true, workload: 'a', identity: spiffeId(td, 'shop', 'a') }],
      },
      {
        // c is not meshed, but the config claims it is: a's proxy will open TLS to it.
        name: 'c',
        namespace: 'shop',
        clusterIps: [],
        ports: [{ name: 'tcp', port: 8443 }],
        endpoints: [
          { ip: c.ip, ports: { tcp: 8443 }, ready: true, workload: 'c', identity: spiffeId(td, 'shop', 'c') },
        ],
      },
    ],
  };
}

const identityDirs: Record<string, string> = {};
let ca: ReturnType<typeof makeCa>;
let configDir: string;

async function startProxy(pod: Pod, sa: string, leaf: Leaf, extraEnv: Record<string, string> = {}) {
  const identityDir = volume(identityFiles(leaf));
  identityDirs[pod.name] = identityDir;
  proxies[pod.name] = await startMeshProxy(pod, { sa, configDir, identityDir, extraEnv });
}

const metrics = async (pod: Pod) => (await fetch(`http://${pod.ip}:${ports.admin}/metrics`)).text();

beforeAll(async () => {
  let pods: Pod[];
  ({ network, pods } = await meshNetwork(
    { name: 'dpprx', subnet: '198.18.120.0/24' },
    ['a', 'b', 'c'],
    ['a', 'b'],
  ));
  [a, b, c] = pods as [Pod, Pod, Pod];
  ca = makeCa();
  configDir = volume({ 'config.json': JSON.stringify(config()) });
  await Promise.all([
    startProxy(a, 'a', issueLeaf(ca, spiffeId(td, 'shop', 'a'))),
    // b's app probes, as the injector rewrites them (src/api/probe-rewrite.ts).
    startProxy(b, 'b', issueLeaf(ca, spiffeId(td, 'shop', 'b')), {
      TRELLIS_APP_PROBES: JSON.stringify({
        '/app-health/web/readyz': { httpGet: { port: 8081, path: '/healthz' } },
        '/app-health/web/livez': { tcpSocket: { port: 8081 } },
        '/app-health/web/startupz': { tcpSocket: { port: 8099 } },
      }),
    }),
  ]);
  bApp = await listen(b, 'b-app', [8080], app);
  await b.spawn(tsx(echoApp).concat('7070'), app).waitForLine(/"event":"listening"/, 30_000);
  await b.spawn(tsx(httpApp).concat('8081'), app).waitForLine(/"event":"listening"/, 30_000);
  await b.spawn(tsx(h2App).concat('8082'), app).waitForLine(/"event":"listening"/, 30_000);
  wire = c.spawn(tsx(firstBytes).concat('8443'));
  await wire.waitForLine(/"event":"listening"/, 30_000);
}, 120_000);

afterAll(async () => {
  await network?.destroy();
  removeVolumes();
});

describe('trellis-proxy between two pods', () => {
  it('carries an app connection to the other pod by pod IP through both proxies, over mTLS', async () => {
    const conn = await connectFrom(a, b.ip, 8080, app);
    expect(conn).toMatchObject({ reply: 'b-app:8080' });
    const seen = bApp.received().filter((r) => r.payload === conn.payload);
    expect(seen).toHaveLength(1);
    expect(await metrics(a)).toMatch(
      /trellis_tcp_connections_opened_total\{direction="outbound",source_workload="a",source_namespace="shop",destination_service="b.shop",destination_workload="b",response_flags="-",tls="mtls"\} 1/,
    );
    expect(await metrics(b)).toMatch(
      /trellis_tcp_connections_opened_total\{direction="inbound",source_workload="a",source_namespace="shop",destination_service="b.shop",destination_workload="b",response_flags="-",tls="mtls"\} 1/,
    );
  });

  it('carries a connection to the service ClusterIP', async () => {
    const conn = await connectFrom(a, clusterIp, 80, app);
    expect(conn).toMatchObject({ reply: 'b-app:8080' });
  });

  it('proxies HTTP/1.1 per request through both proxies, joining the caller trace', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const urls = [1, 2, 3].map((i) => `http://${clusterIp}:8081/r/${i}`);
    // One curl, three requests on one kept-alive connection.
    const r = await a.exec(
      ['curl', '-sS', '-w', '\\n', '-H', `traceparent: 00-${traceId}-00f067aa0ba902b7-01`, ...urls],
      app,
    );
    expect(r.code, r.stderr).toBe(0);
    const answers = r.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { url: string; headers: Record<string, string> });
    expect(answers.map((x) => x.url)).toEqual(['/r/1', '/r/2', '/r/3']);
    const first = answers[0];
    if (!first) throw new Error('no answer');
    expect(first.url).toBe('/r/1');
    expect(first.headers.host).toBe(`${clusterIp}:8081`);
    expect(first.headers.traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    const requests = (text: string, direction: string) =>
      Number(
        new RegExp(
          `trellis_requests_total\\{direction="${direction}",source_workload="a",source_namespace="shop",destination_service="b.shop",destination_workload="b",tls="mtls",response_code="200",response_flags="-"\\} (\\d+)`,
        ).exec(text)?.[1],
      );
    expect(requests(await metrics(a), 'outbound')).toBe(3);
    expect(requests(await metrics(b), 'inbound')).toBe(3);
  });

  it('proxies h2c (gRPC-style, prior knowledge) per stream through both proxies', async () => {
    // One call per curl: curl 7.88 fails reusing a connection after a response with trailers,
    // even straight to a node h2 server.
    const answers: { path: string; traceparent: string | null }[] = [];
    for (const i of [1, 2]) {
      const r = await a.exec(
        ['curl', '-sS', '--http2-prior-knowledge', `http://${clusterIp}:8082/pkg.Svc/M${i}`],
        app,
      );
      expect(r.code, r.stderr).toBe(0);
      answers.push(JSON.parse(r.stdout));
    }
    expect(answers.map((x) => x.path)).toEqual(['/pkg.Svc/M1', '/pkg.Svc/M2']);
    expect(answers[0]?.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
    const count = (text: string, direction: string) =>
      Number(
        new RegExp(
          `trellis_requests_total\\{direction="${direction}",[^}]*destination_service="b.shop"[^}]*tls="mtls",response_code="200",response_flags="-"\\} (\\d+)`,
        ).exec(text)?.[1],
      );
    // 3 from the HTTP/1.1 test before, 2 here.
    expect(count(await metrics(b), 'inbound')).toBe(5);
  });

  it('puts TLS on the wire between pods: a raw listener sees a ClientHello', async () => {
    await connectFrom(a, c.ip, 8443, app);
    const line = await wire.waitForLine(/"event":"bytes"/, 10_000);
    const hex = (JSON.parse(line) as { hex: string }).hex;
    // TLS record: handshake (16), version 03 0x, length, then ClientHello (01).
    expect(hex).toMatch(/^16030[0-4]....01/);
  });

  it('refuses an unmeshed client in STRICT mode', async () => {
    const conn = await connectFrom(c, b.ip, 8080);
    expect(conn.reply ?? '').not.toContain('b-app');
    expect(bApp.received().filter((r) => r.payload === conn.payload)).toEqual([]);
    expect(await metrics(b)).toMatch(
      /trellis_connections_refused_total\{direction="inbound",reason="plaintext_in_strict"\} 1/,
    );
  });

  it("answers the app's rewritten probes from outside the pod, as the kubelet asks, under STRICT", async () => {
    // The kubelet has no mesh certificate: a plaintext probe of the app's port is refused in STRICT,
    // and the proxy's admin port runs the original probe against the app instead.
    const probe = (path: string) => fetch(`http://${b.ip}:${ports.admin}${path}`);
    const ready = await probe('/app-health/web/readyz');
    expect(ready.status, await ready.clone().text()).toBe(200);
    expect((await probe('/app-health/web/livez')).status).toBe(200);
    // Nothing listens on 8099: the original probe fails, so the rewritten one does.
    const startup = await probe('/app-health/web/startupz');
    expect(startup.status).toBe(503);
    expect(await startup.text()).toMatch(/^app probe failed: /);
    expect((await probe('/app-health/other/readyz')).status).toBe(404);
  });

  // Port 7070 is in no Service: a's proxy still knows b is meshed and speaks mTLS to it.
  it('drops nothing on a long-lived connection while certificates rotate and the config reloads', async () => {
    const client = a.spawn(tsx(steadyClient).concat(b.ip, '7070', '6'), app);
    await new Promise((r) => setTimeout(r, 1_500));
    const count = (pod: Pod, msg: string) =>
      (proxies[pod.name]?.stdout() ?? '').split('\n').filter((l) => l.includes(`"msg":"${msg}"`)).length;
    for (const [pod, sa] of [
      [a, 'a'],
      [b, 'b'],
    ] as const) {
      const leaf = issueLeaf(ca, spiffeId(td, 'shop', sa));
      writeAtomicVolume(identityDirs[pod.name] ?? '', {
        'tls.crt': leaf.cert,
        'tls.key': leaf.key,
        'ca.crt': leaf.ca,
      });
    }
    const next = config();
    next.services[0]?.ports.push({ name: 'admin', port: 9901 });
    writeAtomicVolume(configDir, { 'config.json': JSON.stringify(next) });
    const done = JSON.parse(await client.waitForLine(/"event":"done"/, 20_000)) as Record<string, unknown>;
    expect(done).toMatchObject({ error: null, inOrder: true });
    expect(done.received).toBe(done.sent);
    expect(done.sent).toBeGreaterThan(40);
    for (const pod of [a, b]) {
      expect(count(pod, 'identity loaded')).toBe(2);
      expect(count(pod, 'config loaded')).toBe(2);
    }
    // New connections use the new certificates.
    expect(await connectFrom(a, b.ip, 8080, app)).toMatchObject({ reply: 'b-app:8080' });
  });

  it('serves the unmeshed client once a config reload switches the mesh to PERMISSIVE', async () => {
    writeAtomicVolume(configDir, { 'config.json': JSON.stringify({ ...config(), mtlsMode: 'PERMISSIVE' }) });
    await proxies.b?.waitForLine(/"services":3,"msg":"config loaded"/, 10_000);
    const deadline = Date.now() + 10_000;
    let conn = await connectFrom(c, b.ip, 8080);
    while (conn.reply !== 'b-app:8080' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      conn = await connectFrom(c, b.ip, 8080);
    }
    expect(conn).toMatchObject({ reply: 'b-app:8080' });
    expect(await metrics(b)).toMatch(
      /trellis_tcp_connections_opened_total\{direction="inbound",source_workload="c",source_namespace="shop",destination_service="b.shop",destination_workload="b",response_flags="-",tls="none"\} 1/,
    );
  });

  it('is ready, and drains on SIGTERM', async () => {
    expect((await fetch(`http://${a.ip}:${ports.admin}/ready`)).status).toBe(200);
    const proc = proxies.a;
    if (!proc) throw new Error('no proxy in a');
    await proc.stop();
    expect(proc.stdout()).toMatch(/"msg":"drained"/);
  });
});
