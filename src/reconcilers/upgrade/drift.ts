import type { CoreV1Event, V1Pod } from '@kubernetes/client-node';
import { fieldManager } from '../../api/names.js';
import type { InjectReason } from '../../webhook/decision.js';
import { injectionDrift } from '../../webhook/drift.js';
import { isActive, isMeshed } from '../meshed.js';
import type { DataPlaneObserved } from './data-plane.js';
import { byNamespaceAndName, type PodSample, podSample } from './outdated.js';

export const driftEventReason = 'InjectionDrift';

const reasonText: Record<InjectReason, string> = {
  'pod-annotation': 'its trellis.dev/inject annotation',
  'pod-label': 'its trellis.dev/inject label',
  'namespace-label': 'its namespace label trellis.dev/inject=enabled',
  offline: 'trellisctl inject',
};

/**
 * Running pods that asked for the mesh and have no proxy: created while the injector was down (its
 * webhook entry failed open) or before their namespace was labelled. The webhook's own rules decide
 * (webhook/drift.ts), plus the MeshConfig's namespace exclusions, which the injector also honours.
 */
export function driftingPods(observed: Pick<DataPlaneObserved, 'mesh' | 'pods' | 'namespaces'>) {
  const excluded = new Set(observed.mesh.spec.injectionNamespaceExclusions);
  const namespaces = new Map(observed.namespaces.map((n) => [n.metadata?.name ?? '', n.metadata?.labels]));
  const found: { pod: V1Pod; reason: InjectReason }[] = [];
  for (const pod of observed.pods) {
    const namespace = pod.metadata?.namespace ?? '';
    if (excluded.has(namespace) || !isActive(pod) || pod.metadata?.deletionTimestamp || isMeshed(pod))
      continue;
    const labels = namespaces.get(namespace);
    const drift = injectionDrift(pod, { name: namespace, ...(labels ? { labels } : {}) });
    if (drift) found.push({ pod, reason: drift.reason });
  }
  return found.sort((a, b) => byNamespaceAndName(a.pod, b.pod));
}

/**
 * A Warning on the pod. Named after the pod's UID: recording it again is refused as a duplicate, so
 * each pod is reported once, whichever operator replica sees it first.
 */
export function driftEvent(pod: V1Pod, reason: InjectReason, now: Date): CoreV1Event {
  const name = pod.metadata?.name ?? '';
  const namespace = pod.metadata?.namespace ?? '';
  const uid = pod.metadata?.uid ?? `${namespace}.${name}`;
  return {
    metadata: { name: `trellis-injection-drift.${uid}`, namespace },
    involvedObject: {
      apiVersion: 'v1',
      kind: 'Pod',
      name,
      namespace,
      ...(pod.metadata?.uid ? { uid: pod.metadata.uid } : {}),
    },
    reason: driftEventReason,
    message: `The pod asked for the Trellis sidecar (${reasonText[reason]}) but runs without it; delete or restart it so the injector adds the proxy.`,
    type: 'Warning',
    source: { component: fieldManager },
    reportingComponent: fieldManager,
    reportingInstance: fieldManager,
    firstTimestamp: now,
    lastTimestamp: now,
    count: 1,
  };
}

export function driftReport(observed: DataPlaneObserved): { sample: PodSample; events: CoreV1Event[] } {
  const found = driftingPods(observed);
  return {
    sample: podSample(
      found.map((f) => f.pod),
      false,
    ),
    events: found.map((f) => driftEvent(f.pod, f.reason, observed.now)),
  };
}
