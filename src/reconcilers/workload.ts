import type { V1Pod } from '@kubernetes/client-node';

/**
 * The workload that owns a pod, for metric labels: a ReplicaSet's pods belong to its Deployment (the
 * ReplicaSet name less the `-<pod-template-hash>` suffix), other controllers by their own name, and a
 * pod without a controller is its own workload.
 */
export function workloadOf(pod: V1Pod): string | undefined {
  const owner = pod.metadata?.ownerReferences?.find((o) => o.controller);
  if (!owner) return pod.metadata?.name;
  const hash = pod.metadata?.labels?.['pod-template-hash'];
  if (owner.kind === 'ReplicaSet' && hash && owner.name.endsWith(`-${hash}`)) {
    return owner.name.slice(0, -(hash.length + 1));
  }
  return owner.name;
}
