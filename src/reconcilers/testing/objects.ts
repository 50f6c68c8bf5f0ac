import type { V1EndpointSlice, V1Pod, V1Service, V1ServicePort } from '@kubernetes/client-node';
import { type MeshConfig, type MeshConfigSpecInput, meshConfig } from '../../api/crds/index.js';

/** Small builders for the reconcilers' unit tests: only the fields the reconcilers read. */
export function service(
  namespace: string,
  name: string,
  clusterIP: string,
  ports: V1ServicePort[],
  annotations: Record<string, string> = {},
): V1Service {
  return {
    metadata: { namespace, name, annotations },
    spec: { clusterIP, clusterIPs: clusterIP === 'None' ? ['None'] : [clusterIP], ports },
  };
}

export function pod(
  namespace: string,
  name: string,
  opts: { meshed?: boolean; sa?: string; labels?: Record<string, string>; phase?: string } = {},
): V1Pod {
  const app = { name: 'app', image: 'app' };
  return {
    metadata: { namespace, name, labels: opts.labels ?? {} },
    spec: {
      serviceAccountName: opts.sa ?? 'default',
      containers: opts.meshed ? [{ name: 'trellis-proxy', image: 'proxy' }, app] : [app],
    },
    status: { phase: opts.phase ?? 'Running' },
  };
}

export interface SliceEndpoint {
  ip: string;
  pod?: string;
  ready?: boolean;
}

export function slice(
  namespace: string,
  service: string,
  name: string,
  ports: Array<{ name?: string; port: number }>,
  endpoints: SliceEndpoint[],
): V1EndpointSlice {
  return {
    metadata: { namespace, name, labels: { 'kubernetes.io/service-name': service } },
    addressType: 'IPv4',
    ports: ports.map((p) => ({ ...p, protocol: 'TCP' })),
    endpoints: endpoints.map((e) => ({
      addresses: [e.ip],
      ...(e.ready === undefined ? {} : { conditions: { ready: e.ready } }),
      ...(e.pod ? { targetRef: { kind: 'Pod', namespace, name: e.pod } } : {}),
    })),
  };
}

export function mesh(spec: MeshConfigSpecInput = {}, uid?: string): MeshConfig {
  return meshConfig.parse({
    apiVersion: 'trellis.dev/v1alpha1',
    kind: 'MeshConfig',
    metadata: { name: 'default', ...(uid ? { uid } : {}) },
    spec,
  });
}

/** A deterministic shuffle (reversal and rotation), to show input order does not matter. */
export function reorder<T>(items: readonly T[]): T[] {
  const r = [...items].reverse();
  return [...r.slice(1), ...r.slice(0, 1)];
}
