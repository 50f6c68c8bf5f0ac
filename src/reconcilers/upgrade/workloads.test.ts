import type { V1ReplicaSet } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { daemonSet, deployment, pod, replicaSet, statefulSet } from './testing/fixtures.js';
import {
  compareRefs,
  isAvailable,
  rolloutAnnotations,
  stampObject,
  stampOf,
  type Workload,
  workloadRefOfPod,
} from './workloads.js';

describe('isAvailable', () => {
  const cases: { name: string; workload: Workload; available: boolean }[] = [
    {
      name: 'Deployment, all updated and available',
      workload: { kind: 'Deployment', object: deployment('a') },
      available: true,
    },
    {
      name: 'Deployment, one replica not available',
      workload: { kind: 'Deployment', object: deployment('a', { available: false }) },
      available: false,
    },
    {
      name: 'Deployment, controller has not seen the new template',
      workload: {
        kind: 'Deployment',
        object: { ...deployment('a'), status: { ...deployment('a').status, observedGeneration: 1 } },
      },
      available: false,
    },
    {
      name: 'Deployment, an old replica still terminating',
      workload: {
        kind: 'Deployment',
        object: { ...deployment('a'), status: { ...deployment('a').status, replicas: 3 } },
      },
      available: false,
    },
    {
      name: 'Deployment without status',
      workload: { kind: 'Deployment', object: { ...deployment('a'), status: undefined } },
      available: false,
    },
    {
      name: 'Deployment scaled to zero',
      workload: {
        kind: 'Deployment',
        object: {
          ...deployment('a', { replicas: 0 }),
          status: { observedGeneration: 2 },
        },
      },
      available: true,
    },
    {
      name: 'StatefulSet, all updated and ready',
      workload: { kind: 'StatefulSet', object: statefulSet('db') },
      available: true,
    },
    {
      name: 'StatefulSet, revision not rolled out',
      workload: { kind: 'StatefulSet', object: statefulSet('db', { available: false }) },
      available: false,
    },
    {
      name: 'DaemonSet, every node updated',
      workload: { kind: 'DaemonSet', object: daemonSet('agent') },
      available: true,
    },
    {
      name: 'DaemonSet, one node not updated',
      workload: { kind: 'DaemonSet', object: daemonSet('agent', { available: false }) },
      available: false,
    },
  ];
  for (const c of cases) {
    it(c.name, () => expect(isAvailable(c.workload)).toBe(c.available));
  }
});

describe('workloadRefOfPod', () => {
  const replicaSets = new Map<string, V1ReplicaSet>([['uid-a-abc', replicaSet('a-abc', 'a')]]);
  const owned = (kind: string, name: string) => pod('p', { owner: { kind, name, uid: `uid-${name}` } });

  it('finds the Deployment behind a ReplicaSet, and StatefulSets and DaemonSets directly', () => {
    expect(workloadRefOfPod(owned('ReplicaSet', 'a-abc'), replicaSets)).toEqual({
      kind: 'Deployment',
      namespace: 'shop',
      name: 'a',
    });
    expect(workloadRefOfPod(owned('StatefulSet', 'db'), replicaSets)).toEqual({
      kind: 'StatefulSet',
      namespace: 'shop',
      name: 'db',
    });
    expect(workloadRefOfPod(owned('DaemonSet', 'agent'), replicaSets)).toEqual({
      kind: 'DaemonSet',
      namespace: 'shop',
      name: 'agent',
    });
  });

  it('is undefined for pods no rollout restart reaches', () => {
    expect(workloadRefOfPod(pod('bare'), replicaSets)).toBeUndefined();
    expect(workloadRefOfPod(owned('Job', 'j'), replicaSets)).toBeUndefined();
    expect(workloadRefOfPod(owned('ReplicaSet', 'unknown'), replicaSets)).toBeUndefined();
  });
});

describe('stamps', () => {
  it('reads a stamp only for the version the template was restarted for', () => {
    const object = deployment('a', { restartedFor: '0.2.0', restartedAt: 'T1', availableAt: 'T2' });
    expect(stampOf({ kind: 'Deployment', object }, '0.2.0')).toEqual({
      workload: { kind: 'Deployment', namespace: 'shop', name: 'a' },
      version: '0.2.0',
      restartedAt: 'T1',
      availableAt: 'T2',
    });
    expect(stampOf({ kind: 'Deployment', object }, '0.3.0')).toBeUndefined();
  });

  it('applies exactly our three annotations, the template one unchanged by later stamps', () => {
    const workload = { kind: 'StatefulSet', namespace: 'shop', name: 'db' } as const;
    const restarted = stampObject({ workload, version: '0.2.0', restartedAt: 'T1' });
    expect(restarted).toEqual({
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'db', namespace: 'shop', annotations: { [rolloutAnnotations.restartedAt]: 'T1' } },
      spec: { template: { metadata: { annotations: { [rolloutAnnotations.restartedFor]: '0.2.0' } } } },
    });
    const available = stampObject({ workload, version: '0.2.0', restartedAt: 'T1', availableAt: 'T2' });
    expect(available.spec).toEqual(restarted.spec);
    expect(available.metadata.annotations).toEqual({
      [rolloutAnnotations.restartedAt]: 'T1',
      [rolloutAnnotations.availableAt]: 'T2',
    });
  });

  it('orders workloads by namespace, name, then kind', () => {
    const refs = [
      { kind: 'DaemonSet', namespace: 'b', name: 'x' },
      { kind: 'StatefulSet', namespace: 'a', name: 'y' },
      { kind: 'Deployment', namespace: 'a', name: 'y' },
      { kind: 'DaemonSet', namespace: 'a', name: 'x' },
    ] as const;
    expect([...refs].sort(compareRefs).map((r) => `${r.namespace}/${r.name}/${r.kind}`)).toEqual([
      'a/x/DaemonSet',
      'a/y/Deployment',
      'a/y/StatefulSet',
      'b/x/DaemonSet',
    ]);
  });
});
