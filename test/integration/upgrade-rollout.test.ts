import { randomBytes } from 'node:crypto';
import type { V1Pod, V1PodTemplateSpec } from '@kubernetes/client-node';
import { pino } from 'pino';
import { describe, expect, onTestFinished } from 'vitest';
import { type MeshConfigSpecInput, meshConfig } from '../../src/api/crds/index.js';
import type { DataPlanePlan, WorkloadWrite } from '../../src/reconcilers/upgrade/data-plane.js';
import { DataPlaneReconciler } from '../../src/reconcilers/upgrade/reconcile.js';
import { rolloutAnnotations } from '../../src/reconcilers/upgrade/workloads.js';
import { formatStatus } from '../../src/webhook/status.js';
import { keepPodsReady } from '../support/fake-kubelet.js';
import { eventually, type Kube } from '../support/kube.js';
import { test } from '../support/namespace.js';
import { registerNode } from '../support/node.js';

const oldVersion = '0.1.0';
const newVersion = '0.2.0';

/** An in-memory MeshConfig: the cluster's `default` is shared with other tests and left alone. */
const mesh = (upgrade: NonNullable<MeshConfigSpecInput>['upgrade']) =>
  meshConfig.parse({
    apiVersion: 'trellis.dev/v1alpha1',
    kind: 'MeshConfig',
    metadata: { name: 'default' },
    spec: { upgrade },
  });

/** A pod template as the injector leaves it at `oldVersion`: the proxy container and its status annotation. */
function meshedTemplate(app: string, node: string): V1PodTemplateSpec {
  return {
    metadata: {
      labels: { app },
      annotations: {
        'trellis.dev/status': formatStatus({
          version: oldVersion,
          native: false,
          initContainers: [],
          containers: ['trellis-proxy'],
          volumes: [],
        }),
      },
    },
    spec: {
      // Only our node: tests running beside this one register nodes of their own, and a node agent may run.
      nodeSelector: { 'kubernetes.io/hostname': node },
      containers: [
        { name: 'trellis-proxy', image: 'trellis.invalid/proxy:0.1.0' },
        { name: app, image: 'trellis.invalid/app:1' },
      ],
    },
  };
}

async function createDeployment(k: Kube, ns: string, name: string, node: string, replicas: number) {
  await k.apps.createNamespacedDeployment({
    namespace: ns,
    body: {
      metadata: { name },
      spec: { replicas, selector: { matchLabels: { app: name } }, template: meshedTemplate(name, node) },
    },
  });
}

async function createStatefulSet(k: Kube, ns: string, name: string, node: string) {
  await k.apps.createNamespacedStatefulSet({
    namespace: ns,
    body: {
      metadata: { name },
      spec: {
        replicas: 1,
        serviceName: name,
        selector: { matchLabels: { app: name } },
        template: meshedTemplate(name, node),
      },
    },
  });
}

/** The kubelet's part for our node's pods, except those `hold` says to keep unready. */
const podsReady = (k: Kube, ns: string, hold: (pod: V1Pod) => boolean) =>
  keepPodsReady(k, ns, { intervalMs: 200, boundOnly: true, finishDeletions: true, hold });

async function readyNode(k: Kube) {
  const node = await registerNode(k, `t-node-${randomBytes(4).toString('hex')}`);
  onTestFinished(() => node.remove());
  return node.name;
}

async function allAvailable(k: Kube, ns: string, deployments: string[], statefulSets: string[] = []) {
  await eventually(`${[...deployments, ...statefulSets].join(', ')} available`, async () => {
    for (const name of deployments) {
      const d = await k.apps.readNamespacedDeployment({ name, namespace: ns });
      if ((d.status?.availableReplicas ?? 0) !== d.spec?.replicas) return undefined;
    }
    for (const name of statefulSets) {
      const s = await k.apps.readNamespacedStatefulSet({ name, namespace: ns });
      if ((s.status?.readyReplicas ?? 0) !== s.spec?.replicas) return undefined;
    }
    return true;
  });
}

const reconciler = (k: Kube, ns: string) =>
  new DataPlaneReconciler({ kc: k.kc, logger: pino({ level: 'error' }), namespace: ns });

/** Reconciles every 250 ms (eventually's pace) until `done` holds for a plan; keeps every write. */
async function reconcileUntil(
  r: DataPlaneReconciler,
  m: ReturnType<typeof mesh>,
  what: string,
  done: (plan: DataPlanePlan) => boolean,
  writes: WorkloadWrite[],
  timeoutMs = 90_000,
): Promise<DataPlanePlan> {
  return eventually(
    what,
    async () => {
      const plan = await r.reconcile(m, newVersion);
      if (plan.write) writes.push(plan.write);
      return done(plan) ? plan : undefined;
    },
    timeoutMs,
  );
}

describe('data-plane upgrades against the real control plane', () => {
  test('Manual lists the outdated pods and restarts nothing', async ({ kube: k, ns }) => {
    const node = await readyNode(k);
    await createDeployment(k, ns, 'web', node, 2);
    await createStatefulSet(k, ns, 'db', node);
    const stop = podsReady(k, ns, () => false);
    onTestFinished(stop);
    await allAvailable(k, ns, ['web'], ['db']);

    const writes: WorkloadWrite[] = [];
    const plan = await reconcileUntil(
      reconciler(k, ns),
      mesh({ strategy: 'Manual' }),
      'three outdated pods',
      (p) => p.status.outdatedPods?.count === 3,
      writes,
    );
    const pods = plan.status.outdatedPods?.pods ?? [];
    expect(pods.map((p) => p.name.replace(/-[a-z0-9]+-[a-z0-9]+$/, '-*'))).toEqual([
      'db-0',
      'web-*',
      'web-*',
    ]);
    expect(pods.every((p) => p.namespace === ns && p.version === oldVersion)).toBe(true);
    expect(plan.status.rollout).toBeUndefined();
    expect(plan.verdict).toBeUndefined();
    expect(writes).toEqual([]);
    const web = await k.apps.readNamespacedDeployment({ name: 'web', namespace: ns });
    expect(web.spec?.template.metadata?.annotations?.[rolloutAnnotations.restartedFor]).toBeUndefined();
  });

  test('RollingRestart restarts a Deployment, waits until it is available, then the StatefulSet', async ({
    kube: k,
    ns,
  }) => {
    const node = await readyNode(k);
    await createDeployment(k, ns, 'a-web', node, 2);
    await createStatefulSet(k, ns, 'b-db', node);
    const stop = podsReady(k, ns, () => false);
    onTestFinished(stop);
    await allAvailable(k, ns, ['a-web'], ['b-db']);
    const before = await k.core.listNamespacedPod({ namespace: ns });
    const oldPods = new Map(before.items.map((p) => [p.metadata?.name ?? '', p.metadata?.uid ?? '']));

    const writes: WorkloadWrite[] = [];
    const m = mesh({ strategy: 'RollingRestart', pace: '1s', workloadTimeout: '60s' });
    const plan = await reconcileUntil(
      reconciler(k, ns),
      m,
      'both workloads restarted and available',
      (p) => p.status.rollout?.restarted === 2,
      writes,
    );
    expect(plan.status.rollout).toEqual({ total: 2, restarted: 2 });
    expect(plan.verdict).toBeUndefined();

    // Exactly one restart per workload, A first; B only after A was recorded available.
    expect(writes.map((w) => `${w.action} ${w.stamp.workload.kind}/${w.stamp.workload.name}`)).toEqual([
      'restart Deployment/a-web',
      'available Deployment/a-web',
      'restart StatefulSet/b-db',
      'available StatefulSet/b-db',
    ]);
    const [, aAvailable, bRestart] = writes;
    expect(Date.parse(bRestart?.stamp.restartedAt ?? '')).toBeGreaterThanOrEqual(
      Date.parse(aAvailable?.stamp.availableAt ?? '') + 1000,
    );

    // The controllers really rolled them: A has a second ReplicaSet only, B's pod is a new one.
    const replicaSets = await k.apps.listNamespacedReplicaSet({ namespace: ns });
    expect(replicaSets.items).toHaveLength(2);
    const after = await k.core.listNamespacedPod({ namespace: ns });
    for (const pod of after.items) {
      expect(oldPods.get(pod.metadata?.name ?? '')).not.toBe(pod.metadata?.uid);
      expect(pod.metadata?.annotations?.[rolloutAnnotations.restartedFor]).toBe(newVersion);
    }

    // Planning again (or a new operator replica doing so) restarts nothing.
    const again = await reconciler(k, ns).reconcile(m, newVersion);
    expect(again.write).toBeUndefined();
    expect((await k.apps.listNamespacedReplicaSet({ namespace: ns })).items).toHaveLength(2);
  });

  test('RollingRestart pauses as Degraded when a workload never becomes available, and resumes once it is', async ({
    kube: k,
    ns,
  }) => {
    const node = await readyNode(k);
    await createDeployment(k, ns, 'a-broken', node, 1);
    await createDeployment(k, ns, 'b-next', node, 1);
    // The restarted pods of a-broken never get ready, until the test lets them.
    let holdBroken = true;
    const stop = podsReady(
      k,
      ns,
      (pod) =>
        holdBroken &&
        pod.metadata?.labels?.app === 'a-broken' &&
        pod.metadata.annotations?.[rolloutAnnotations.restartedFor] !== undefined,
    );
    onTestFinished(stop);
    await allAvailable(k, ns, ['a-broken', 'b-next']);

    const writes: WorkloadWrite[] = [];
    const m = mesh({ strategy: 'RollingRestart', pace: '0s', workloadTimeout: '5s' });
    const r = reconciler(k, ns);
    const degraded = await reconcileUntil(
      r,
      m,
      'a Degraded verdict',
      (p) => p.verdict?.type === 'Degraded',
      writes,
    );
    expect(degraded.verdict).toEqual({
      type: 'Degraded',
      reason: 'WorkloadNotAvailable',
      message: `Deployment ${ns}/a-broken did not become available within 5s of its restart; the rollout is paused until it does`,
    });
    expect(degraded.status.rollout).toEqual({
      total: 2,
      restarted: 0,
      current: { kind: 'Deployment', namespace: ns, name: 'a-broken' },
    });
    expect(writes.map((w) => `${w.action} ${w.stamp.workload.name}`)).toEqual(['restart a-broken']);
    const next = await k.apps.readNamespacedDeployment({ name: 'b-next', namespace: ns });
    expect(next.spec?.template.metadata?.annotations?.[rolloutAnnotations.restartedFor]).toBeUndefined();

    holdBroken = false;
    await reconcileUntil(r, m, 'the rollout to finish', (p) => p.status.rollout?.restarted === 2, writes);
    expect(writes.map((w) => `${w.action} ${w.stamp.workload.name}`)).toEqual([
      'restart a-broken',
      'available a-broken',
      'restart b-next',
      'available b-next',
    ]);
  });
});
