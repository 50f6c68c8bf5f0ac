import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ports, spiffeId } from '../../src/api/names.js';
import type { ProxyConfigInput } from '../../src/api/proxy-config.js';
import { defaultConnectionPool, defaultRetryBudget } from '../../src/sidecar-image/proxy/policy/defaults.js';
import { issueLeaf, makeCa } from '../../src/sidecar-image/proxy/testing/pki.js';
import type { Pod, PodNetwork } from '../support/netns.js';
import { identityFiles, meshNetwork, startMeshProxy, volumes } from './mesh.js';
import { app, td, tsx } from './pods.js';

/**
 * The traffic policy between real pods: three meshed pods in network namespaces (a: client; b and
 * c: the `web` service's v1 and v2), each with trellis-init's rules and trellis-proxy as UID 1337,
 * the config written as the reconciler would. Network `dppol`, subnet 198.18.121.0/24.
 */

const path = (relative: string) => fileURLToPath(new URL(relative, import.meta.url));
const namedApp = path('../../src/sidecar-image/proxy/testing/named-http-app.ts');

const clusterIp = '10.96.121.10';

let network: PodNetwork;
let a: Pod;
let b: Pod;
let c: Pod;
const { volume, remove: removeVolumes } = volumes('trellis-dppol-');

function config(): ProxyConfigInput {
  const web = (pod: Pod, version: string) => ({
    ip: pod.ip,
    ports: { http: 8081 },
    ready: true,
    workload: `web-${version}`,
    labels: { app: 'web', version },
    identity: spiffeId(td, 'shop', 'web'),
  });
  const dest = (subset: string, weight: number) => ({ namespace: 'shop', service: 'web', subset, weight });
  const pool = defaultConnectionPool;
  return {
    schemaVersion: 1,
    namespace: 'shop',
    trustDomain: td,
    mtlsMode: 'STRICT',
    services: [
      {
        name: 'web',
        namespace: 'shop',
        clusterIps: [clusterIp],
        ports: [{ name: 'http', port: 8081 }],
        endpoints: [web(b, 'v1'), web(c, 'v2')],
      },
      {
        name: 'client',
        namespace: 'shop',
        clusterIps: [],
        ports: [],
        endpoints: [
          { ip: a.ip, ports: {}, ready: true, workload: 'client', identity: spiffeId(td, 'shop', 'client') },
        ],
      },
    ],
    policies: {
      routes: [
        {
          namespace: 'shop',
          service: 'web',
          source: 'TrafficRoute shop/web',
          rules: [
            {
              name: 'canary-header',
              matches: [{ headers: [{ name: 'x-canary', kind: 'exact', value: 'yes' }] }],
              destinations: [dest('v2', 100)],
            },
            { name: 'split', matches: [], destinations: [dest('v1', 75), dest('v2', 25)] },
          ],
        },
      ],
      destinations: [
        {
          namespace: 'shop',
          service: 'web',
          source: 'DestinationPolicy shop/web',
          policy: { loadBalancer: { algorithm: 'ROUND_ROBIN' }, connectionPool: pool },
          retryBudget: defaultRetryBudget,
          subsets: ['v1', 'v2'].map((v) => ({
            name: v,
            labels: { version: v },
            policy: { loadBalancer: { algorithm: 'ROUND_ROBIN' as const }, connectionPool: pool },
          })),
        },
      ],
      authorization: [
        {
          namespace: 'shop',
          selector: { app: 'web' },
          action: 'ALLOW',
          source: 'AuthorizationPolicy shop/web-callers',
          rules: [{ from: [{ principals: [{ kind: 'exact', value: spiffeId(td, 'shop', 'client') }] }] }],
        },
        {
          namespace: 'shop',
          selector: { app: 'web', version: 'v2' },
          action: 'DENY',
          source: 'AuthorizationPolicy shop/v2-no-admin',
          rules: [{ to: [{ paths: [{ kind: 'prefix', value: '/admin' }] }] }],
        },
      ],
    },
  };
}

async function startProxy(pod: Pod, sa: string, configDir: string, extraEnv: Record<string, string> = {}) {
  const identityDir = volume(identityFiles(issueLeaf(ca, spiffeId(td, 'shop', sa))));
  await startMeshProxy(pod, { sa, configDir, identityDir, extraEnv });
}

let ca: ReturnType<typeof makeCa>;

beforeAll(async () => {
  let pods: Pod[];
  ({ network, pods } = await meshNetwork(
    { name: 'dppol', subnet: '198.18.121.0/24' },
    ['a', 'b', 'c'],
    ['a', 'b', 'c'],
  ));
  [a, b, c] = pods as [Pod, Pod, Pod];
  ca = makeCa();
  const configDir = volume({ 'config.json': JSON.stringify(config()) });
  await Promise.all([
    startProxy(a, 'client', configDir),
    startProxy(b, 'web', configDir),
    startProxy(c, 'web', configDir, {
      // c's readiness probe, as the injector rewrites it (src/api/probe-rewrite.ts).
      TRELLIS_APP_PROBES: JSON.stringify({
        '/app-health/web/readyz': { httpGet: { port: 8081, path: '/healthz' } },
      }),
    }),
  ]);
  await b.spawn(tsx(namedApp).concat('8081', 'v1'), app).waitForLine(/"event":"listening"/, 30_000);
  await c.spawn(tsx(namedApp).concat('8081', 'v2'), app).waitForLine(/"event":"listening"/, 30_000);
}, 120_000);

afterAll(async () => {
  await network?.destroy();
  removeVolumes();
});

/** One curl from `pod` (as the app), several URLs on one kept-alive connection; status and body per URL. */
async function curl(pod: Pod, urls: string[], headers: string[] = []) {
  const r = await pod.exec(
    [
      'curl',
      '-sS',
      ...headers.flatMap((h) => ['-H', h]),
      ...urls.flatMap((u) => ['-w', '|%{http_code}\\n', u]),
    ],
    app,
  );
  expect(r.code, r.stderr).toBe(0);
  // Each answer is its body (a local answer ends in a newline) then `|<code>` and a newline.
  return [...r.stdout.matchAll(/([\s\S]*?)\|(\d{3})\n/g)].map((m) => `${m[2]} ${(m[1] ?? '').trim()}`);
}

describe('traffic policy between pods', () => {
  it('splits 75/25 across the subsets on other pods, and routes the canary header to v2', async () => {
    const urls = Array.from({ length: 40 }, (_, i) => `http://${clusterIp}:8081/s/${i}`);
    const got = await curl(a, urls);
    const v2 = got.filter((l) => l.startsWith('200 v2 ')).length;
    expect(got.filter((l) => l.startsWith('200 v1 ')).length + v2).toBe(40);
    // Smooth weighted round robin: exactly 1 in every 4 requests, 10 of 40.
    expect(v2).toBe(10);
    const canary = await curl(a, urls.slice(0, 5), ['x-canary: yes']);
    expect(canary).toEqual(urls.slice(0, 5).map((_, i) => `200 v2 /s/${i}`));
  });

  it('authorizes by SPIFFE ID at the server pod, DENY winning on the pods it selects', async () => {
    // The allowed client reaches v2, but v2's DENY policy takes /admin away from everyone.
    const allowed = await curl(a, [`http://${clusterIp}:8081/ok`], ['x-canary: yes']);
    expect(allowed).toEqual(['200 v2 /ok']);
    const denied = await curl(a, [`http://${clusterIp}:8081/admin`], ['x-canary: yes']);
    expect(denied).toEqual(['403 RBAC']);
    // b runs as `web`, not `client`: c's ALLOW policy does not name it.
    const other = await curl(b, [`http://${clusterIp}:8081/ok`], ['x-canary: yes']);
    expect(other).toEqual(['403 RBAC']);
    const text = await (await fetch(`http://${c.ip}:${ports.admin}/metrics`)).text();
    expect(text).toMatch(
      /trellis_authz_decisions_total\{result="deny",reason="denied",policy="AuthorizationPolicy shop\/v2-no-admin"\} 1/,
    );
    expect(text).toMatch(/trellis_authz_decisions_total\{result="deny",reason="not-allowed",policy=""\} 1/);
  });

  it("keeps the kubelet's probes working: they reach the admin port, which no policy governs", async () => {
    // The host (the kubelet's place) holds no mesh identity, which c's ALLOW policy would refuse.
    const probe = await fetch(`http://${c.ip}:${ports.admin}/app-health/web/readyz`);
    expect(probe.status).toBe(200);
    const plain = await fetch(`http://${c.ip}:8081/healthz`).then(
      (r) => r.status,
      () => 'refused',
    );
    expect(plain).toBe('refused');
  });
});
