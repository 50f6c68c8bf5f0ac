import type { KubernetesObject } from '@kubernetes/client-node';

/**
 * Objects as the operator's caches hold them: the API server's JSON, with timestamps as strings and
 * the server's own fields (uid, resourceVersion, managedFields), not the client-node types' Dates.
 */
const meta = (name: string, namespace: string | undefined, created: string) => ({
  name,
  ...(namespace ? { namespace } : {}),
  uid: `uid-${namespace ?? ''}-${name}`,
  resourceVersion: '1',
  generation: 1,
  creationTimestamp: created,
  managedFields: [
    { manager: 'kubectl', operation: 'Update', time: created, fieldsType: 'FieldsV1', fieldsV1: {} },
  ],
});

const epoch = '2026-01-01T00:00:00Z';

/**
 * The cache's own view: client-node's types say `creationTimestamp: Date`, the cache holds a string.
 * The cast is that mismatch made explicit, so tests hand the reconcilers exactly what the cache does.
 */
const cached = (obj: object): KubernetesObject => obj as KubernetesObject;

export function meshConfigJson(spec: Record<string, unknown> = {}): KubernetesObject {
  return cached({
    apiVersion: 'trellis.dev/v1alpha1',
    kind: 'MeshConfig',
    metadata: meta('default', undefined, epoch),
    spec: { trustDomain: 'cluster.local', mtlsMode: 'PERMISSIVE', ...spec },
  });
}

export function podJson(
  namespace: string,
  name: string,
  serviceAccountName: string,
  meshed = true,
): KubernetesObject {
  const app = { name: 'app', image: 'app' };
  return cached({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { ...meta(name, namespace, epoch), labels: { app: name } },
    spec: {
      serviceAccountName,
      containers: meshed ? [{ name: 'trellis-proxy', image: 'proxy' }, app] : [app],
    },
    status: { phase: 'Running', startTime: epoch },
  });
}

export function serviceJson(namespace: string, name: string, clusterIP: string): KubernetesObject {
  return cached({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(name, namespace, epoch),
    spec: { clusterIP, clusterIPs: [clusterIP], ports: [{ name: 'http', port: 80, protocol: 'TCP' }] },
  });
}

export function sliceJson(namespace: string, service: string, ip: string, pod: string): KubernetesObject {
  return cached({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      ...meta(`${service}-1`, namespace, epoch),
      labels: { 'kubernetes.io/service-name': service },
    },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    endpoints: [
      { addresses: [ip], conditions: { ready: true }, targetRef: { kind: 'Pod', name: pod, namespace } },
    ],
  });
}

export function trafficRouteJson(
  namespace: string,
  name: string,
  service: string,
  createdAt: string,
): KubernetesObject {
  return cached({
    apiVersion: 'trellis.dev/v1alpha1',
    kind: 'TrafficRoute',
    metadata: meta(name, namespace, createdAt),
    spec: { service, rules: [{ destinations: [{ service, weight: 100 }] }] },
  });
}

/** What a stored object reads back as: JSON through and through (Dates become strings). */
export const asStored = <T>(obj: T): T => JSON.parse(JSON.stringify(obj)) as T;
