import type {
  V1DaemonSet,
  V1Deployment,
  V1Namespace,
  V1ObjectMeta,
  V1Pod,
  V1PodTemplateSpec,
  V1ReplicaSet,
  V1StatefulSet,
} from '@kubernetes/client-node';
import { type MeshConfig, type MeshConfigSpecInput, meshConfig } from '../../../api/crds/index.js';
import { apiVersion } from '../../../api/names.js';
import { formatStatus } from '../../../webhook/status.js';
import type { DataPlaneObserved } from '../data-plane.js';
import { rolloutAnnotations, type WorkloadKind } from '../workloads.js';

/** The fixed clock of the table tests. */
export const t0 = new Date('2026-01-01T00:00:00.000Z');
export const at = (seconds: number) => new Date(t0.getTime() + seconds * 1000);

export function mesh(upgrade: NonNullable<MeshConfigSpecInput>['upgrade'] = {}): MeshConfig {
  return meshConfig.parse({
    apiVersion,
    kind: 'MeshConfig',
    metadata: { name: 'default' },
    spec: { upgrade },
  });
}

export interface PodOptions {
  namespace?: string;
  /** Proxy version recorded by the injector; absent: a pod without the sidecar. */
  version?: string;
  owner?: { kind: string; name: string; uid: string };
  annotations?: Record<string, string>;
  phase?: string;
}

/** A pod as the API server lists it; with `version` it carries the proxy and the injector's status annotation. */
export function pod(name: string, o: PodOptions = {}): V1Pod {
  const annotations = { ...o.annotations };
  if (o.version !== undefined) {
    annotations['trellis.dev/status'] = formatStatus({
      version: o.version,
      native: false,
      initContainers: ['trellis-init'],
      containers: ['trellis-proxy'],
      volumes: [],
    });
  }
  return {
    metadata: {
      name,
      namespace: o.namespace ?? 'shop',
      uid: `uid-${name}`,
      annotations,
      ...(o.owner ? { ownerReferences: [{ apiVersion: 'apps/v1', controller: true, ...o.owner }] } : {}),
    },
    spec: {
      containers: [{ name: 'app' }, ...(o.version !== undefined ? [{ name: 'trellis-proxy' }] : [])],
    },
    status: { phase: o.phase ?? 'Running' },
  };
}

export function replicaSet(name: string, deployment: string, namespace = 'shop'): V1ReplicaSet {
  return {
    metadata: {
      name,
      namespace,
      uid: `uid-${name}`,
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          name: deployment,
          uid: `uid-${deployment}`,
          controller: true,
        },
      ],
    },
  };
}

export interface WorkloadOptions {
  namespace?: string;
  replicas?: number;
  /** Default: the controller has caught up and every replica is updated and available. */
  available?: boolean;
  /** The rollout annotations: restarted for this version at this time, available at this time. */
  restartedFor?: string;
  restartedAt?: string;
  availableAt?: string;
}

function rolloutMeta(
  name: string,
  o: WorkloadOptions,
): { metadata: V1ObjectMeta; template: V1PodTemplateSpec } {
  const annotations: Record<string, string> = {};
  if (o.restartedAt) annotations[rolloutAnnotations.restartedAt] = o.restartedAt;
  if (o.availableAt) annotations[rolloutAnnotations.availableAt] = o.availableAt;
  return {
    metadata: { name, namespace: o.namespace ?? 'shop', uid: `uid-${name}`, generation: 2, annotations },
    template: {
      metadata: { annotations: o.restartedFor ? { [rolloutAnnotations.restartedFor]: o.restartedFor } : {} },
      spec: { containers: [{ name: 'app' }] },
    },
  };
}

export function deployment(name: string, o: WorkloadOptions = {}): V1Deployment {
  const { metadata, template } = rolloutMeta(name, o);
  const replicas = o.replicas ?? 2;
  const ready = o.available === false ? replicas - 1 : replicas;
  return {
    metadata,
    spec: { replicas, selector: {}, template },
    status: {
      observedGeneration: 2,
      replicas,
      updatedReplicas: ready,
      readyReplicas: ready,
      availableReplicas: ready,
    },
  };
}

export function statefulSet(name: string, o: WorkloadOptions = {}): V1StatefulSet {
  const { metadata, template } = rolloutMeta(name, o);
  const replicas = o.replicas ?? 2;
  const ready = o.available === false ? replicas - 1 : replicas;
  return {
    metadata,
    spec: { replicas, selector: {}, serviceName: name, template },
    status: {
      observedGeneration: 2,
      replicas,
      updatedReplicas: ready,
      readyReplicas: ready,
      currentRevision: o.available === false ? `${name}-1` : `${name}-2`,
      updateRevision: `${name}-2`,
    },
  };
}

export function daemonSet(name: string, o: WorkloadOptions = {}): V1DaemonSet {
  const { metadata, template } = rolloutMeta(name, o);
  const desired = o.replicas ?? 2;
  const ready = o.available === false ? desired - 1 : desired;
  return {
    metadata,
    spec: { selector: {}, template },
    status: {
      observedGeneration: 2,
      desiredNumberScheduled: desired,
      currentNumberScheduled: desired,
      numberMisscheduled: 0,
      numberReady: ready,
      updatedNumberScheduled: ready,
      numberAvailable: ready,
    },
  };
}

export const namespace = (name: string, labels: Record<string, string> = {}): V1Namespace => ({
  metadata: { name, labels },
});

/** An observed state with nothing in it but the mesh, version and clock; tests add what they need. */
export function observed(over: Partial<DataPlaneObserved> = {}): DataPlaneObserved {
  return {
    mesh: mesh(),
    installedVersion: '0.2.0',
    pods: [],
    namespaces: [namespace('shop')],
    replicaSets: [],
    deployments: [],
    statefulSets: [],
    daemonSets: [],
    now: t0,
    ...over,
  };
}

/** Two pods of a workload at `version`: a Deployment's through its ReplicaSet `<name>-abc`. */
export function podsOf(kind: WorkloadKind, name: string, version: string, namespace = 'shop'): V1Pod[] {
  const owner =
    kind === 'Deployment'
      ? { kind: 'ReplicaSet', name: `${name}-abc`, uid: `uid-${name}-abc` }
      : { kind, name, uid: `uid-${name}` };
  return [0, 1].map((i) => pod(`${name}-${i}`, { namespace, version, owner }));
}
