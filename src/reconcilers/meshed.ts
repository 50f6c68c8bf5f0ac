import type { V1Pod } from '@kubernetes/client-node';
import { containers } from '../api/names.js';

/**
 * A pod is meshed when its spec runs the Trellis proxy: a container named `trellis-proxy`, or an init
 * container of that name with `restartPolicy: Always` (a native sidecar). The spec, not the
 * `trellis.dev/status` annotation, decides: containers cannot change after creation, while anyone may
 * edit an annotation, and a pod that only claims a proxy must not be sent mTLS it cannot answer.
 */
export function isMeshed(pod: V1Pod): boolean {
  const spec = pod.spec;
  if (!spec) return false;
  if (spec.containers.some((c) => c.name === containers.proxy)) return true;
  return (spec.initContainers ?? []).some((c) => c.name === containers.proxy && c.restartPolicy === 'Always');
}

/** Succeeded and Failed pods run nothing any more; a terminating pod still runs until it is gone. */
export function isActive(pod: V1Pod): boolean {
  const phase = pod.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed';
}

export function serviceAccountOf(pod: V1Pod): string {
  return pod.spec?.serviceAccountName || pod.spec?.serviceAccount || 'default';
}

/** Meshed pods that still run, the ones that need a proxy config and an identity. */
export function activeMeshedPods(pods: readonly V1Pod[]): V1Pod[] {
  return pods.filter((p) => isMeshed(p) && isActive(p));
}
