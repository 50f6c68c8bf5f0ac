import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type {
  KubernetesObject,
  V1Deployment,
  V1MutatingWebhookConfiguration,
  V1Pod,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { annotations, apiVersion, containers, controlPlaneNamespace, ports } from '../../src/api/names.js';
import { eventually } from '../support/kube.js';
import { loadgenBatch, runningPods } from './mesh/deploy.js';
import { type Mesh, meshNode, startMesh } from './mesh/harness.js';
import { injector } from './mesh/install.js';
import { kubectl } from './mesh/kubectl.js';
import { deployment, sampleObjects, service, serviceAccount } from './mesh/sample.js';
import { edgeStats, scrape } from './mesh/stat.js';

/**
 * Trellis as a user meets it: installed from config/ and a MeshConfig (the
 * operator runs as a pod and installs the injector, the webhook and the mesh
 * CA), the sample injected by the webhook because its pods carry the label,
 * traffic between pods encrypted on the wire, and STRICT refusing a client
 * outside the mesh.
 */

const ns = `mesh-install-${randomBytes(3).toString('hex')}`;
let mesh: Mesh;
let kubeconfig: string;

/**
 * A GET on a fresh connection each time (no keep-alive pool): the mTLS mode is decided when the proxy
 * accepts a connection, and a plaintext connection admitted before STRICT stays open until it ends.
 */
const freshGet = (url: string) =>
  new Promise<number>((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: 5_000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
  });

const getJson = async <T>(args: string[]): Promise<T> =>
  JSON.parse(await kubectl(kubeconfig, [...args, '-o', 'json'])) as T;

/** The wire tap: a meshed pod whose raw listener (left out of inbound capture) sees what a peer's proxy sends. */
function wireTap(): KubernetesObject[] {
  return [
    serviceAccount('wire-tap', ns),
    service('wire-tap', ns, 7000, 7000),
    deployment(
      {
        name: 'wire-tap',
        app: 'wire-tap',
        version: 'v1',
        image: 'trellis-e2e/wire-tap:1.0',
        http: false,
        podAnnotations: { [annotations.excludeInboundPorts]: '7000,7001' },
      },
      { namespace: ns },
    ),
  ];
}

/** A TCP echo in the mesh: not HTTP, so the proxies carry it as opaque TCP (with the same mTLS). */
function tcpEcho(): KubernetesObject[] {
  return [
    serviceAccount('tcp-echo', ns),
    service('tcp-echo', ns, 9000, 9000),
    deployment(
      { name: 'tcp-echo', app: 'tcp-echo', version: 'v1', image: 'trellis-e2e/tcp-echo:1.0', http: false },
      { namespace: ns },
    ),
  ];
}

beforeAll(async () => {
  kubeconfig = inject('kubeconfig');
  mesh = await startMesh(kubeconfig);
  await mesh.deploy([...sampleObjects({ namespace: ns }), ...wireTap(), ...tcpEcho()], ns);
}, 600_000);

afterAll(async () => {
  await mesh?.stop();
}, 300_000);

describe('install from a MeshConfig', () => {
  it('has the operator make the mesh Ready: injector, webhook with its CA, mesh CA issuer', async () => {
    const mc = await getJson<{ status?: { conditions?: { type: string; status: string }[] } }>([
      'get',
      'meshconfig',
      'default',
    ]);
    expect(mc.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');

    const operator = await runningPods(
      kubeconfig,
      controlPlaneNamespace,
      'app.kubernetes.io/name=trellis-operator',
    );
    expect(operator.map((p) => p.spec?.nodeName)).toEqual([meshNode]);

    const injectorDeployment = await getJson<V1Deployment>([
      '-n',
      controlPlaneNamespace,
      'get',
      'deployment',
      injector.deployment,
    ]);
    expect(injectorDeployment.status?.availableReplicas ?? 0).toBeGreaterThanOrEqual(1);

    const webhook = await getJson<V1MutatingWebhookConfiguration>([
      'get',
      'mutatingwebhookconfiguration',
      injector.webhookConfiguration,
    ]);
    expect(webhook.webhooks?.length).toBeGreaterThan(0);
    for (const w of webhook.webhooks ?? []) expect(w.clientConfig.caBundle?.length ?? 0).toBeGreaterThan(0);

    const issuer = await getJson<{ status?: { conditions?: { type: string; status: string }[] } }>([
      'get',
      'clusterissuer',
      'trellis-mesh-ca',
    ]);
    expect(issuer.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
  });
});

describe('the sample, injected and meshed', () => {
  it('has every pod injected by the webhook, ready, with its own SPIFFE identity', async () => {
    const pods = await runningPods(kubeconfig, ns);
    expect(pods.map((p) => p.metadata?.labels?.app).sort()).toEqual([
      'frontend',
      'loadgen',
      'orders',
      'payments',
      'payments',
      'tcp-echo',
      'wire-tap',
    ]);
    for (const pod of pods) {
      const names = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].map((c) => c.name);
      expect(names).toEqual(expect.arrayContaining([containers.init, containers.proxy]));
      expect(pod.metadata?.annotations?.[annotations.status]).toBeDefined();
      expect(pod.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    }
    const frontend = pods.find((p) => p.metadata?.labels?.app === 'frontend') as V1Pod;
    const config = (await (await fetch(`http://${frontend.status?.podIP}:${ports.admin}/config`)).json()) as {
      identity: { spiffeId: string };
    };
    expect(config.identity.spiffeId).toBe(`spiffe://cluster.local/ns/${ns}/sa/frontend`);
  });

  it('carries requests through frontend → orders → payments', async () => {
    const t = await loadgenBatch(kubeconfig, ns, { service: 'frontend', count: 20, concurrency: 4 });
    expect(t.failed).toBe(0);
    expect((t.leaves['payments v1'] ?? 0) + (t.leaves['payments v2'] ?? 0)).toBe(20);
  });
});

describe('mTLS on the wire', () => {
  it('shows a TLS handshake, not the request, to a raw listener in a meshed pod', async () => {
    // The loadgen's request to wire-tap leaves through its proxy, which dials the meshed pod over mTLS.
    await loadgenBatch(kubeconfig, ns, {
      service: 'wire-tap',
      path: '/secret-path',
      count: 2,
      timeoutMs: 3_000,
    });
    const [tap] = await runningPods(kubeconfig, ns, 'app=wire-tap');
    const seen = ((await (await fetch(`http://${tap?.status?.podIP}:7001/seen`)).json()) as string[]).map(
      (b) => Buffer.from(b, 'base64'),
    );
    expect(seen.length).toBeGreaterThan(0);
    for (const bytes of seen) {
      // A TLS handshake record carrying a Trellis ALPN name; the request line is nowhere.
      expect([bytes[0], bytes[1]]).toEqual([0x16, 0x03]);
      expect(bytes.includes('trellis-')).toBe(true);
      expect(bytes.includes('secret-path')).toBe(false);
    }
  });

  it("reports every edge of the chain as mTLS in the proxies' metrics", async () => {
    const ips = (await runningPods(kubeconfig, ns)).map((p) => p.status?.podIP ?? '');
    const before = await scrape(ips);
    await loadgenBatch(kubeconfig, ns, { service: 'frontend', count: 30, concurrency: 3 });
    const stats = edgeStats(before, await scrape(ips), 1).filter((s) => s.requests > 0);
    expect(stats.map((s) => [s.source, s.destination, s.tls])).toEqual([
      [`${ns}/frontend`, `orders.${ns}`, 'mtls'],
      [`${ns}/loadgen`, `frontend.${ns}`, 'mtls'],
      [`${ns}/orders`, `payments.${ns}`, 'mtls'],
    ]);
  });
});

describe('opaque TCP', () => {
  it('carries a TCP echo between meshed pods over mTLS', async () => {
    const [loadgenPod] = await runningPods(kubeconfig, ns, 'app=loadgen');
    const res = await fetch(`http://${loadgenPod?.status?.podIP}:9901/tcp`, {
      method: 'POST',
      body: JSON.stringify({ service: 'tcp-echo', message: 'hello through the mesh\n', count: 5 }),
      signal: AbortSignal.timeout(60_000),
    });
    expect(await res.json()).toMatchObject({ total: 5, ok: 5, failed: 0 });
    const [echo] = await runningPods(kubeconfig, ns, 'app=tcp-echo');
    const metrics = await (await fetch(`http://${echo?.status?.podIP}:${ports.admin}/metrics`)).text();
    const inbound = metrics
      .split('\n')
      .filter(
        (l) => l.startsWith('trellis_tcp_connections_opened_total{') && l.includes('direction="inbound"'),
      );
    expect(inbound.length).toBeGreaterThan(0);
    for (const line of inbound) expect(line).toContain('tls="mtls"');
    expect(inbound.reduce((n, l) => n + Number(l.split(' ').at(-1)), 0)).toBeGreaterThanOrEqual(5);
  });
});

describe('STRICT', () => {
  it('refuses a client outside the mesh while meshed callers carry on', async () => {
    const [frontend] = await runningPods(kubeconfig, ns, 'app=frontend');
    const direct = `http://${frontend?.status?.podIP}:8080/`;
    // PERMISSIVE (the default): the host, outside the mesh, is served in plaintext.
    expect(await freshGet(direct)).toBe(200);

    await mesh.deploy([
      {
        apiVersion,
        kind: 'PeerAuthentication',
        metadata: { name: 'default', namespace: ns },
        spec: { mode: 'STRICT' },
      } as KubernetesObject,
    ]);
    await eventually(
      'plaintext from outside the mesh refused',
      async () => {
        try {
          await freshGet(direct);
          return undefined;
        } catch {
          return true;
        }
      },
      60_000,
    );
    const metrics = await (await fetch(`http://${frontend?.status?.podIP}:${ports.admin}/metrics`)).text();
    expect(metrics).toMatch(
      /trellis_connections_refused_total\{direction="inbound",reason="plaintext_in_strict"\} [1-9]/,
    );
    const meshed = await loadgenBatch(kubeconfig, ns, { service: 'frontend', count: 20, concurrency: 4 });
    expect(meshed.failed).toBe(0);
  });
});
