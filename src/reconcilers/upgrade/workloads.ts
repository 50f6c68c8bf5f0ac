import type {
  V1DaemonSet,
  V1Deployment,
  V1ObjectMeta,
  V1Pod,
  V1ReplicaSet,
  V1StatefulSet,
} from '@kubernetes/client-node';
import type { MeshConfigStatus } from '../../api/crds/index.js';

/** A Deployment, StatefulSet or DaemonSet, as status.rollout.current names it. */
export type WorkloadRef = NonNullable<NonNullable<MeshConfigStatus['rollout']>['current']>;
export type WorkloadKind = WorkloadRef['kind'];

export type Workload =
  | { kind: 'Deployment'; object: V1Deployment }
  | { kind: 'StatefulSet'; object: V1StatefulSet }
  | { kind: 'DaemonSet'; object: V1DaemonSet };

/**
 * Where a rollout's progress is kept, on the workload itself: the pod-template annotation is the
 * restart (a new template rolls the pods) and carries the version it restarted for, so applying it
 * again is a no-op rather than a second restart; the two workload annotations hold the times the
 * timeout and the pace are counted from.
 */
export const rolloutAnnotations = {
  restartedFor: 'trellis.dev/restarted-for',
  restartedAt: 'trellis.dev/restarted-at',
  availableAt: 'trellis.dev/available-at',
} as const;

/** What a workload records about its restart for one version. */
export interface WorkloadStamp {
  workload: WorkloadRef;
  version: string;
  restartedAt: string;
  availableAt?: string;
}

const kindOrder: Record<WorkloadKind, number> = { Deployment: 0, StatefulSet: 1, DaemonSet: 2 };

export function refOf(w: Workload): WorkloadRef {
  return { kind: w.kind, namespace: w.object.metadata?.namespace ?? '', name: w.object.metadata?.name ?? '' };
}

export const refKey = (r: WorkloadRef) => `${r.kind}/${r.namespace}/${r.name}`;

/** Rollout order: by namespace, then name, then kind, so every replica restarts the same one next. */
export function compareRefs(a: WorkloadRef, b: WorkloadRef): number {
  if (a.namespace !== b.namespace) return a.namespace < b.namespace ? -1 : 1;
  if (a.name !== b.name) return a.name < b.name ? -1 : 1;
  return kindOrder[a.kind] - kindOrder[b.kind];
}

export const describeRef = (r: WorkloadRef) => `${r.kind} ${r.namespace}/${r.name}`;

/**
 * The workload a pod belongs to, by controller owner references: a ReplicaSet's pod belongs to the
 * ReplicaSet's Deployment. Undefined for bare pods, Jobs and ReplicaSets of their own: nothing a
 * rollout restart can roll.
 */
export function workloadRefOfPod(
  pod: V1Pod,
  replicaSetsByUid: ReadonlyMap<string, V1ReplicaSet>,
): WorkloadRef | undefined {
  const namespace = pod.metadata?.namespace ?? '';
  const owner = controllerOf(pod.metadata);
  if (!owner) return undefined;
  if (owner.kind === 'StatefulSet' || owner.kind === 'DaemonSet') {
    return { kind: owner.kind, namespace, name: owner.name };
  }
  if (owner.kind !== 'ReplicaSet') return undefined;
  const rsOwner = controllerOf(replicaSetsByUid.get(owner.uid)?.metadata);
  return rsOwner?.kind === 'Deployment' ? { kind: 'Deployment', namespace, name: rsOwner.name } : undefined;
}

function controllerOf(meta: V1ObjectMeta | undefined) {
  return meta?.ownerReferences?.find((o) => o.controller);
}

/** The restart this workload records for `version`, when its template was restarted for it. */
export function stampOf(w: Workload, version: string): WorkloadStamp | undefined {
  const template = w.object.spec?.template.metadata?.annotations ?? {};
  if (template[rolloutAnnotations.restartedFor] !== version) return undefined;
  const own = w.object.metadata?.annotations ?? {};
  const restartedAt = own[rolloutAnnotations.restartedAt];
  const availableAt = own[rolloutAnnotations.availableAt];
  return {
    workload: refOf(w),
    version,
    // Someone removed the time: the timeout restarts from now rather than never firing (rollout.ts).
    restartedAt: restartedAt ?? '',
    ...(availableAt ? { availableAt } : {}),
  };
}

/**
 * Available as `kubectl rollout status` means it: the controller has seen the latest template and
 * every desired replica runs it and is available; no old replica is left.
 */
export function isAvailable(w: Workload): boolean {
  const generation = w.object.metadata?.generation ?? 0;
  const observed = w.object.status?.observedGeneration ?? -1;
  if (observed < generation) return false;
  switch (w.kind) {
    case 'Deployment': {
      const s = w.object.status ?? {};
      const desired = w.object.spec?.replicas ?? 1;
      return (
        (s.updatedReplicas ?? 0) === desired &&
        (s.replicas ?? 0) === desired &&
        (s.availableReplicas ?? 0) === desired
      );
    }
    case 'StatefulSet': {
      const s = w.object.status;
      const desired = w.object.spec?.replicas ?? 1;
      return (
        s !== undefined &&
        s.updateRevision === s.currentRevision &&
        (s.updatedReplicas ?? 0) === desired &&
        (s.readyReplicas ?? 0) === desired &&
        s.replicas === desired
      );
    }
    case 'DaemonSet': {
      const s = w.object.status;
      if (!s) return false;
      const desired = s.desiredNumberScheduled;
      return (s.updatedNumberScheduled ?? 0) === desired && (s.numberAvailable ?? 0) === desired;
    }
  }
}

/**
 * The server-side apply body for a stamp: only our three annotations. Every apply carries all of
 * them, because fields our manager leaves out are removed, and a removed template annotation would
 * roll the pods again.
 */
export function stampObject(stamp: WorkloadStamp) {
  const { kind, namespace, name } = stamp.workload;
  return {
    apiVersion: 'apps/v1',
    kind,
    metadata: {
      name,
      namespace,
      annotations: {
        [rolloutAnnotations.restartedAt]: stamp.restartedAt,
        ...(stamp.availableAt ? { [rolloutAnnotations.availableAt]: stamp.availableAt } : {}),
      },
    },
    spec: { template: { metadata: { annotations: { [rolloutAnnotations.restartedFor]: stamp.version } } } },
  };
}
