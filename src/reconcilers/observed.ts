import type { V1ConfigMap, V1EndpointSlice, V1ObjectMeta, V1Pod, V1Service } from '@kubernetes/client-node';
import type { Condition, MeshConfig } from '../api/crds/index.js';

/**
 * A mesh CR as the cache holds it: not parsed yet, because deciding whether it is valid is the
 * reconciler's job (policy-conditions.ts), and an invalid one must still get its condition.
 */
export interface MeshObject {
  apiVersion: string;
  kind: 'TrafficRoute' | 'DestinationPolicy' | 'PeerAuthentication' | 'AuthorizationPolicy';
  metadata: V1ObjectMeta & { name: string; namespace: string };
  spec?: unknown;
  status?: { observedGeneration?: number; conditions?: Condition[] };
}

/** A cert-manager Certificate, the fields Trellis reads and writes. */
export interface Certificate {
  apiVersion: 'cert-manager.io/v1';
  kind: 'Certificate';
  metadata: V1ObjectMeta & { name: string; namespace: string };
  spec: {
    secretName: string;
    uris: string[];
    duration: string;
    renewBefore: string;
    issuerRef: { name: string; kind: string; group: string };
    privateKey: { algorithm: 'ECDSA'; size: number; rotationPolicy: 'Always' };
    usages: string[];
    secretTemplate: { labels: Record<string, string> };
  };
}

/**
 * Everything the proxy-config and identity reconcilers read, as plain lists. One snapshot per
 * reconcile, so a reconcile sees one consistent view even while caches move on.
 */
export interface ObservedState {
  /** The MeshConfig `default`; absent: the mesh is not installed and nothing is written. */
  meshConfig: MeshConfig | undefined;
  services: readonly V1Service[];
  endpointSlices: readonly V1EndpointSlice[];
  pods: readonly V1Pod[];
  meshObjects: readonly MeshObject[];
  /** The `trellis-proxy-config` ConfigMaps that exist now. */
  proxyConfigMaps: readonly V1ConfigMap[];
  /** Certificates labelled as Trellis identities. */
  identityCertificates: readonly Certificate[];
}

/**
 * What the operator runtime's caches provide: each list as the cache holds it now. Pods and identity
 * Certificates can be read for one namespace, which the caches answer from their namespace index: the
 * identity reconciler needs one namespace's, and copying every pod in the cluster per reconcile was most
 * of its cost.
 */
export interface ObservedStateReader {
  meshConfig(): MeshConfig | undefined;
  services(): readonly V1Service[];
  endpointSlices(): readonly V1EndpointSlice[];
  pods(namespace?: string): readonly V1Pod[];
  meshObjects(): readonly MeshObject[];
  proxyConfigMaps(): readonly V1ConfigMap[];
  identityCertificates(namespace?: string): readonly Certificate[];
}

export function snapshot(reader: ObservedStateReader): ObservedState {
  return {
    meshConfig: reader.meshConfig(),
    services: reader.services(),
    endpointSlices: reader.endpointSlices(),
    pods: reader.pods(),
    meshObjects: reader.meshObjects(),
    proxyConfigMaps: reader.proxyConfigMaps(),
    identityCertificates: reader.identityCertificates(),
  };
}

const inNamespace = <T extends { metadata?: { namespace?: string } }>(list: readonly T[], ns?: string) =>
  ns === undefined ? list : list.filter((o) => o.metadata?.namespace === ns);

/** A reader over fixed lists: tests, and callers that listed the objects themselves. */
export function staticReader(state: ObservedState): ObservedStateReader {
  return {
    meshConfig: () => state.meshConfig,
    services: () => state.services,
    endpointSlices: () => state.endpointSlices,
    pods: (namespace) => inNamespace(state.pods, namespace),
    meshObjects: () => state.meshObjects,
    proxyConfigMaps: () => state.proxyConfigMaps,
    identityCertificates: (namespace) => inNamespace(state.identityCertificates, namespace),
  };
}
