import type {
  V1ContainerState,
  V1ContainerStatus,
  V1Pod,
  V1PodCondition,
  V1PodStatus,
} from '@kubernetes/client-node';

/** What the agent knows of one container, from which its status is written. */
export interface ContainerRecord {
  name: string;
  image: string;
  state: V1ContainerState;
  lastState?: V1ContainerState;
  restartCount: number;
  ready: boolean;
  /** The startup probe has passed (or there is none) while it runs. */
  started: boolean;
  /** A native sidecar: an init container with `restartPolicy: Always`. */
  sidecar?: boolean;
}

export interface PodRecord {
  podIP?: string;
  hostIP: string;
  startTime?: Date;
  initContainers: ContainerRecord[];
  containers: ContainerRecord[];
  /** Every init container that must complete has completed (and every sidecar started). */
  initialized: boolean;
  /** Why the pod cannot start at all (an unknown image, a missing ConfigMap), when that is so. */
  phaseOverride?: 'Failed' | 'Succeeded';
}

const toStatus = (c: ContainerRecord): V1ContainerStatus => ({
  name: c.name,
  image: c.image,
  imageID: '',
  ready: c.ready,
  started: c.started && c.state.running !== undefined,
  restartCount: c.restartCount,
  state: c.state,
  ...(c.lastState ? { lastState: c.lastState } : {}),
});

function phase(record: PodRecord, restartPolicy: string): V1PodStatus['phase'] {
  if (record.phaseOverride) return record.phaseOverride;
  const { containers } = record;
  if (!record.initialized || containers.some((c) => c.state.waiting && c.restartCount === 0))
    return 'Pending';
  if (containers.some((c) => c.state.running)) return 'Running';
  const terminated = containers.map((c) => c.state.terminated);
  if (terminated.every((t) => t !== undefined)) {
    if (terminated.every((t) => t?.exitCode === 0)) return 'Succeeded';
    if (restartPolicy === 'Never') return 'Failed';
  }
  return 'Running';
}

/**
 * The pod's status as the kubelet computes it: phase, the four conditions
 * (a condition keeps its lastTransitionTime while its status holds), and
 * container statuses.
 */
export function podStatus(pod: V1Pod, record: PodRecord, now: Date): V1PodStatus {
  const restartPolicy = pod.spec?.restartPolicy ?? 'Always';
  const previous = pod.status?.conditions ?? [];
  const containersReady =
    record.initialized &&
    record.containers.every((c) => c.ready) &&
    record.initContainers.filter((c) => c.sidecar).every((c) => c.ready);
  const condition = (type: string, status: boolean, reason?: string): V1PodCondition => {
    const value = status ? 'True' : 'False';
    const before = previous.find((c) => c.type === type);
    return {
      type,
      status: value,
      lastTransitionTime:
        before?.status === value && before.lastTransitionTime ? before.lastTransitionTime : now,
      ...(reason && !status ? { reason } : {}),
    };
  };
  const ready = containersReady && !record.phaseOverride;
  return {
    phase: phase(record, restartPolicy),
    hostIP: record.hostIP,
    hostIPs: [{ ip: record.hostIP }],
    ...(record.podIP ? { podIP: record.podIP, podIPs: [{ ip: record.podIP }] } : {}),
    ...(record.startTime ? { startTime: record.startTime } : {}),
    qosClass: pod.status?.qosClass ?? 'BestEffort',
    conditions: [
      condition('PodReadyToStartContainers', record.podIP !== undefined),
      condition('Initialized', record.initialized, 'ContainersNotInitialized'),
      condition('Ready', ready, 'ContainersNotReady'),
      condition('ContainersReady', ready, 'ContainersNotReady'),
      condition('PodScheduled', true),
    ],
    initContainerStatuses: record.initContainers.map(toStatus),
    containerStatuses: record.containers.map(toStatus),
  };
}
