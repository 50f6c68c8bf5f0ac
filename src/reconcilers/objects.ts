import type { CoreV1Event, V1ConfigMap } from '@kubernetes/client-node';
import type { MeshConfig } from '../api/crds/index.js';
import { fieldManager, proxyConfigMap } from '../api/names.js';
import { componentLabel, configHashAnnotation, managedBy, meshConfigOwner } from './labels.js';

export const proxyConfigComponent = 'proxy-config';

/** The ConfigMap holding one namespace's proxy config, with the content hash that makes re-applies no-ops. */
export function proxyConfigMapObject(
  namespace: string,
  json: string,
  hash: string,
  mesh: MeshConfig,
): V1ConfigMap & { apiVersion: 'v1'; kind: 'ConfigMap' } {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: proxyConfigMap.name,
      namespace,
      labels: { [managedBy.key]: managedBy.value, [componentLabel]: proxyConfigComponent },
      annotations: { [configHashAnnotation]: hash },
      ownerReferences: meshConfigOwner(mesh),
    },
    data: { [proxyConfigMap.key]: json },
  };
}

/**
 * A Warning event about a namespace. Its name derives from the content hash, so the same problem
 * with the same content is reported once, not on every reconcile.
 */
export function namespaceWarning(
  namespace: string,
  reason: string,
  message: string,
  hash: string,
  now: Date,
): CoreV1Event {
  return {
    metadata: { name: `${proxyConfigMap.name}.${hash.slice(0, 16)}`, namespace },
    // The API server wants the event's namespace repeated here, even for a cluster-scoped Namespace.
    involvedObject: { apiVersion: 'v1', kind: 'Namespace', name: namespace, namespace },
    reason,
    message,
    type: 'Warning',
    source: { component: fieldManager },
    reportingComponent: fieldManager,
    reportingInstance: fieldManager,
    firstTimestamp: now,
    lastTimestamp: now,
    count: 1,
  };
}
