import {
  type CoreV1Event,
  DiscoveryV1Api,
  type KubernetesObject,
  PatchStrategy,
  setHeaderOptions,
  Watch,
} from '@kubernetes/client-node';
import { beforeAll, describe, expect, onTestFinished } from 'vitest';
import { meshConfig } from '../../src/api/crds/index.js';
import { parseProxyConfig } from '../../src/api/proxy-config.js';
import { Debouncer, proxyConfigDebounce } from '../../src/reconcilers/debounce.js';
import { staticReader } from '../../src/reconcilers/observed.js';
import { ProxyConfigReconciler } from '../../src/reconcilers/proxy-config-reconciler.js';
import { type ClusterWriter, kubeWriter } from '../../src/reconcilers/writer.js';
import { manualSlice, meshedPod } from '../fixtures/reconcilers/objects.js';
import { listObserved } from '../fixtures/reconcilers/observed.js';
import { SerialRunner } from '../fixtures/reconcilers/serial.js';
import { applyTrellisCrds } from '../support/crds.js';
import { eventually, type Kube, kube } from '../support/kube.js';
import { test } from '../support/namespace.js';

/** An in-memory MeshConfig: the cluster's `default` is shared with other tests and left alone. */
const mesh = meshConfig.parse({
  apiVersion: 'trellis.dev/v1alpha1',
  kind: 'MeshConfig',
  metadata: { name: 'default' },
  spec: { trustDomain: 'cluster.local' },
});

/** Counts what reaches the API server, by kind. */
class CountingWriter implements ClusterWriter {
  readonly applies: string[] = [];
  readonly events: CoreV1Event[] = [];
  constructor(private readonly inner: ClusterWriter) {}
  async apply(obj: KubernetesObject) {
    this.applies.push(obj.kind ?? '');
    await this.inner.apply(obj);
  }
  applyStatus: ClusterWriter['applyStatus'] = (p) => this.inner.applyStatus(p);
  delete: ClusterWriter['delete'] = (r) => this.inner.delete(r);
  async recordEvent(e: CoreV1Event) {
    this.events.push(e);
    await this.inner.recordEvent(e);
  }
}

async function reconcileOnce(k: Kube, ns: string, writer: ClusterWriter, limitBytes?: number) {
  const state = await listObserved(k, ns, mesh);
  const r = new ProxyConfigReconciler(staticReader(state), writer, limitBytes ? { limitBytes } : {});
  await r.reconcile({ name: ns }, new AbortController().signal);
}

const readCm = (k: Kube, ns: string) =>
  k.core.readNamespacedConfigMap({ name: 'trellis-proxy-config', namespace: ns });

async function setupWeb(k: Kube, ns: string) {
  const svc = await k.core.createNamespacedService({
    namespace: ns,
    body: { metadata: { name: 'web' }, spec: { ports: [{ name: 'http', port: 80, targetPort: 8080 }] } },
  });
  await k.core.createNamespacedPod({ namespace: ns, body: meshedPod('web-1', 'default') });
  const discovery = k.kc.makeApiClient(DiscoveryV1Api);
  await discovery.createNamespacedEndpointSlice({
    namespace: ns,
    body: manualSlice('web', '198.18.50.1', 'web-1', 8080),
  });
  return { clusterIP: svc.spec?.clusterIP ?? '', discovery };
}

/**
 * The most runs the debouncer can make for events arriving at these times: each stretch without a
 * pause of trailingMs fires once at its end and once per maxWaitMs it lasts. It depends on how the
 * events arrived (a slow machine pauses more), never on how many there were.
 */
function debounceBound(times: readonly number[]): number {
  const { trailingMs, maxWaitMs } = proxyConfigDebounce;
  let bound = 0;
  let start = times[0] ?? 0;
  times.forEach((t, i) => {
    const next = times[i + 1];
    if (next === undefined || next - t >= trailingMs) {
      bound += 1 + Math.floor((t - start) / maxWaitMs);
      if (next !== undefined) start = next;
    }
  });
  return bound;
}

beforeAll(async () => {
  await applyTrellisCrds(kube());
});

describe('proxy-config reconciler against the API server', () => {
  test('a Service and its endpoints become a valid ConfigMap; a change updates it; the same input writes nothing', async ({
    kube: k,
    ns,
  }) => {
    const { clusterIP, discovery } = await setupWeb(k, ns);
    const writer = new CountingWriter(kubeWriter(k.kc));
    await reconcileOnce(k, ns, writer);

    const cm = await readCm(k, ns);
    const parsed = parseProxyConfig(cm.data?.['config.json'] ?? '');
    if (!parsed.ok) throw new Error(parsed.error);
    expect(parsed.config.namespace).toBe(ns);
    expect(parsed.config.services).toEqual([
      {
        name: 'web',
        namespace: ns,
        clusterIps: [clusterIP],
        ports: [{ name: 'http', port: 80, protocol: 'http' }],
        endpoints: [
          {
            ip: '198.18.50.1',
            ports: { http: 8080 },
            ready: true,
            pod: 'web-1',
            workload: 'web-1',
            // No DestinationPolicy selects on a label yet, so none is shipped.
            labels: {},
            identity: `spiffe://cluster.local/ns/${ns}/sa/default`,
          },
        ],
      },
    ]);
    expect(cm.metadata?.annotations?.['trellis.dev/config-hash']).toMatch(/^[0-9a-f]{64}$/);
    expect(cm.metadata?.managedFields?.map((f) => f.manager)).toContain('trellis-operator');

    // Same input again: nothing is written.
    await reconcileOnce(k, ns, writer);
    expect((await readCm(k, ns)).metadata?.resourceVersion).toBe(cm.metadata?.resourceVersion);
    expect(writer.applies).toEqual(['ConfigMap']);

    // An endpoint changes: the ConfigMap follows.
    await discovery.replaceNamespacedEndpointSlice({
      name: 'web-manual',
      namespace: ns,
      body: manualSlice('web', '198.18.50.2', 'web-1', 8080, false),
    });
    await reconcileOnce(k, ns, writer);
    const changed = parseProxyConfig((await readCm(k, ns)).data?.['config.json'] ?? '');
    if (!changed.ok) throw new Error(changed.error);
    expect(changed.config.services[0]?.endpoints.map((e) => [e.ip, e.ready])).toEqual([
      ['198.18.50.2', false],
    ]);
    expect(writer.applies).toEqual(['ConfigMap', 'ConfigMap']);
  });

  test('endpoints the real EndpointSlice controller makes from a ready pod reach the ConfigMap', async ({
    kube: k,
    ns,
  }) => {
    await k.core.createNamespacedService({
      namespace: ns,
      body: {
        metadata: { name: 'api' },
        spec: { selector: { app: 'api-1' }, ports: [{ name: 'grpc-api', port: 9000, targetPort: 9001 }] },
      },
    });
    // The controller skips pods whose Node does not exist: a Node object of the test's own, no kubelet.
    const node = `rn-${ns}`;
    await k.core.createNode({ body: { metadata: { name: node, labels: { 'trellis.dev/test': 'true' } } } });
    onTestFinished(async () => {
      await k.core.deleteNode({ name: node });
    });
    const pod = meshedPod('api-1', 'default');
    await k.core.createNamespacedPod({
      namespace: ns,
      body: {
        ...pod,
        spec: { ...pod.spec, containers: pod.spec?.containers ?? [], nodeSelector: {}, nodeName: node },
      },
    });
    // No kubelet: the test reports the pod running and ready, as the node agent will.
    const now = new Date();
    await k.core.patchNamespacedPodStatus(
      {
        name: 'api-1',
        namespace: ns,
        body: {
          status: {
            phase: 'Running',
            podIP: '198.18.70.1',
            podIPs: [{ ip: '198.18.70.1' }],
            conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now }],
          },
        },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const writer = kubeWriter(k.kc);
    const endpoints = await eventually('the controller-made endpoint in the ConfigMap', async () => {
      await reconcileOnce(k, ns, writer);
      const parsed = parseProxyConfig((await readCm(k, ns)).data?.['config.json'] ?? '');
      if (!parsed.ok) throw new Error(parsed.error);
      const api = parsed.config.services.find((x) => x.name === 'api');
      return api?.endpoints.length ? api : undefined;
    });
    expect(endpoints.ports).toEqual([{ name: 'grpc-api', port: 9000, protocol: 'grpc' }]);
    expect(endpoints.endpoints).toEqual([
      {
        ip: '198.18.70.1',
        ports: { 'grpc-api': 9001 },
        ready: true,
        pod: 'api-1',
        workload: 'api-1',
        labels: {},
        identity: `spiffe://cluster.local/ns/${ns}/sa/default`,
      },
    ]);
  });

  test('mesh CRs get Accepted and ResolvedRefs with observedGeneration; a missing Service is named; a non-RE2 regex is not accepted', async ({
    kube: k,
    ns,
  }) => {
    await setupWeb(k, ns);
    const tr = { group: 'trellis.dev', version: 'v1alpha1', namespace: ns, plural: 'trafficroutes' };
    const route = (name: string, service: string) => ({
      apiVersion: 'trellis.dev/v1alpha1',
      kind: 'TrafficRoute',
      metadata: { name },
      spec: { service, rules: [{ destinations: [{ service }] }] },
    });
    await k.custom.createNamespacedCustomObject({ ...tr, body: route('good', 'web') });
    await k.custom.createNamespacedCustomObject({ ...tr, body: route('dangling', 'nowhere') });
    // The API server's schema takes this; RE2, which the proxy follows, has no look-ahead.
    const lookahead = route('lookahead', 'web');
    await k.custom.createNamespacedCustomObject({
      ...tr,
      body: {
        ...lookahead,
        spec: {
          service: 'web',
          rules: [{ matches: [{ path: { regex: '/a(?=b)' } }], destinations: [{ service: 'web' }] }],
        },
      },
    });
    const writer = kubeWriter(k.kc);
    await reconcileOnce(k, ns, writer);

    type Status = {
      metadata: { resourceVersion: string; generation: number };
      status?: { observedGeneration?: number; conditions?: Array<Record<string, unknown>> };
    };
    const get = async (name: string) => (await k.custom.getNamespacedCustomObject({ ...tr, name })) as Status;
    const good = await get('good');
    const dangling = await get('dangling');
    expect(good.status?.observedGeneration).toBe(good.metadata.generation);
    expect(good.status?.conditions).toEqual([
      expect.objectContaining({
        type: 'Accepted',
        status: 'True',
        observedGeneration: good.metadata.generation,
      }),
      expect.objectContaining({ type: 'ResolvedRefs', status: 'True', reason: 'ResolvedRefs' }),
    ]);
    expect(dangling.status?.conditions?.[1]).toMatchObject({
      type: 'ResolvedRefs',
      status: 'False',
      reason: 'ServiceNotFound',
      message: `not found: Service ${ns}/nowhere`,
    });

    expect((await get('lookahead')).status?.conditions?.[0]).toMatchObject({
      type: 'Accepted',
      status: 'False',
      reason: 'InvalidRegex',
    });

    // Nothing changed: no status write.
    await reconcileOnce(k, ns, writer);
    expect((await get('good')).metadata.resourceVersion).toBe(good.metadata.resourceVersion);
    expect((await get('dangling')).metadata.resourceVersion).toBe(dangling.metadata.resourceVersion);
  });

  test('a config over the size limit is not written; the last good one stays and an event says why', async ({
    kube: k,
    ns,
  }) => {
    await setupWeb(k, ns);
    await reconcileOnce(k, ns, kubeWriter(k.kc));
    const good = await readCm(k, ns);
    await k.core.createNamespacedService({
      namespace: ns,
      body: { metadata: { name: 'more' }, spec: { ports: [{ name: 'http', port: 80 }] } },
    });
    // A small limit stands in for 1 MiB: the rule is the same, the test stays light.
    await reconcileOnce(k, ns, kubeWriter(k.kc), 600);
    expect((await readCm(k, ns)).metadata?.resourceVersion).toBe(good.metadata?.resourceVersion);
    const events = await k.core.listNamespacedEvent({
      namespace: ns,
      fieldSelector: 'reason=ProxyConfigTooLarge',
    });
    expect(events.items).toHaveLength(1);
    expect(events.items[0]?.involvedObject).toMatchObject({ kind: 'Namespace', name: ns });
    expect(events.items[0]?.message).toMatch(/over the ConfigMap limit of 600/);
  });

  test('1,000 EndpointSlice updates seen through a watch cause ConfigMap writes bounded by pauses and the max wait, not by updates', async ({
    kube: k,
    ns,
  }) => {
    const { discovery } = await setupWeb(k, ns);
    const writer = new CountingWriter(kubeWriter(k.kc));
    const runner = new SerialRunner((key) => reconcileOnce(k, key, writer));
    let fires = 0;
    const debouncer = new Debouncer((key) => {
      fires++;
      runner.trigger(key);
    }, proxyConfigDebounce);
    const eventTimes: number[] = [];
    const watch = await new Watch(k.kc).watch(
      `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices`,
      {},
      () => {
        eventTimes.push(Date.now());
        debouncer.notify(ns);
      },
      () => undefined,
    );
    try {
      // Ten slices updated side by side, a hundred times each: a burst, as a rollout makes one.
      const slices = 10;
      const rounds = 100;
      const updates = slices * rounds;
      const ipOf = (slice: number, round: number) => `198.18.${60 + slice}.${round + 1}`;
      const started = Date.now();
      await Promise.all(
        Array.from({ length: slices }, async (_, s) => {
          for (let r = 0; r < rounds; r++) {
            const body = manualSlice('web', ipOf(s, r), 'web-1', 8080, true, `web-burst-${s}`);
            if (r === 0) await discovery.createNamespacedEndpointSlice({ namespace: ns, body });
            else
              await discovery.replaceNamespacedEndpointSlice({ name: `web-burst-${s}`, namespace: ns, body });
          }
        }),
      );
      const elapsed = Date.now() - started;
      const finalIps = Array.from({ length: slices }, (_, s) => ipOf(s, rounds - 1));
      await eventually('the ConfigMap to show the last endpoint of every slice', async () => {
        const json = (await readCm(k, ns)).data?.['config.json'] ?? '';
        return finalIps.every((ip) => json.includes(`"${ip}"`)) ? true : undefined;
      });
      await runner.idle();
      const writes = writer.applies.filter((a) => a === 'ConfigMap').length;
      const bound = debounceBound(eventTimes);
      console.log(
        `[reconciler] ${updates} updates in ${elapsed} ms, ${eventTimes.length} watch events, ${fires} debounced runs, ${writes} ConfigMap writes (bound from event timing: ${bound})`,
      );
      expect(runner.errors).toEqual([]);
      expect(eventTimes.length).toBeGreaterThanOrEqual(updates);
      expect(writes).toBeGreaterThanOrEqual(1);
      expect(writes).toBeLessThanOrEqual(fires);
      expect(fires).toBeLessThanOrEqual(bound);
    } finally {
      watch.abort();
      debouncer.cancel();
      await runner.idle();
    }
  });
});
