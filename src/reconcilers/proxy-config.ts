import type { MeshConfig } from '../api/crds/index.js';
import { type ProxyConfigInput, proxyConfig, type Service } from '../api/proxy-config.js';
import type { TrafficPolicies } from '../api/proxy-config-policies.js';
import { canonicalJson, contentHash } from './canonical-json.js';
import { activeMeshedPods } from './meshed.js';
import type { ObservedState } from './observed.js';
import { type CompiledPolicies, compilePolicies, policiesForNamespace } from './policies/compile.js';
import { validDestinationPolicies } from './policy-conditions.js';
import { desiredServices } from './services.js';

/** A ConfigMap's data may hold at most 1 MiB; etcd refuses more. */
export const configMapLimitBytes = 1024 * 1024;

export type DesiredProxyConfig =
  | { namespace: string; ok: true; json: string; hash: string; bytes: number }
  /** Not written: the last good ConfigMap stays. `reason` is a CamelCase word for events. */
  | { namespace: string; ok: false; reason: 'TooLarge' | 'Invalid'; message: string; hash: string };

/** Namespaces that need a proxy config: those with a meshed pod that still runs, sorted. */
export function meshedNamespaces(state: Pick<ObservedState, 'pods'>): string[] {
  const names = new Set(activeMeshedPods(state.pods).map((p) => p.metadata?.namespace ?? ''));
  names.delete('');
  return [...names].sort();
}

/** The document for one namespace: the mesh-wide settings, every Service, and the policies that apply there. */
export function proxyConfigDocument(
  namespace: string,
  mesh: MeshConfig,
  services: Service[],
  policies?: TrafficPolicies,
): ProxyConfigInput {
  const { tracing, accessLog } = mesh.spec;
  return {
    schemaVersion: 1,
    namespace,
    trustDomain: mesh.spec.trustDomain,
    outboundTrafficPolicy: mesh.spec.outboundTrafficPolicy,
    mtlsMode: mesh.spec.mtlsMode,
    services,
    ...(policies ? { policies } : {}),
    telemetry: {
      accessLog: { enabled: accessLog.enabled },
      tracing: {
        ...(tracing.otlpEndpoint ? { otlpEndpoint: tracing.otlpEndpoint } : {}),
        samplingPercent: tracing.samplingPercent,
      },
    },
  };
}

/**
 * Validates a document with the proxy's own schema and serialises it canonically. Validation runs on
 * what we would write, so the proxy never reads a document it would refuse.
 */
export function renderProxyConfig(
  doc: ProxyConfigInput,
  limitBytes = configMapLimitBytes,
): DesiredProxyConfig {
  const json = canonicalJson(doc);
  const hash = contentHash(json);
  const parsed = proxyConfig.safeParse(doc);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    return { namespace: doc.namespace, ok: false, reason: 'Invalid', message: issues.join('; '), hash };
  }
  const bytes = Buffer.byteLength(json);
  if (bytes > limitBytes) {
    return {
      namespace: doc.namespace,
      ok: false,
      reason: 'TooLarge',
      message: `the proxy config for namespace ${doc.namespace} is ${bytes} bytes, over the ConfigMap limit of ${limitBytes}; the previous config stays in effect`,
      hash,
    };
  }
  return { namespace: doc.namespace, ok: true, json, hash, bytes };
}

/** Label keys any valid DestinationPolicy's subsets select on: the only endpoint labels shipped. */
export function subsetLabelKeys(state: Pick<ObservedState, 'meshObjects'>): Set<string> {
  const keys = validDestinationPolicies(state.meshObjects).flatMap((p) =>
    (p.spec.subsets ?? []).flatMap((s) => Object.keys(s.labels)),
  );
  return new Set(keys);
}

/** What every namespace's document shares: the Services, and the mesh CRs compiled against them. */
export interface MeshWide {
  services: Service[];
  compiled: CompiledPolicies;
}

/** Computed once per reconcile: both the documents and the CRs' conditions read it. */
export function meshWide(state: ObservedState, mesh: MeshConfig): MeshWide {
  const services = desiredServices(state, mesh.spec.trustDomain, subsetLabelKeys(state));
  return { services, compiled: compilePolicies({ objects: state.meshObjects, services }) };
}

/**
 * The proxy config of one namespace, or undefined when it needs none: the mesh is not installed, or
 * no meshed pod runs there.
 */
export function desiredProxyConfig(
  state: ObservedState,
  namespace: string,
  limitBytes = configMapLimitBytes,
  shared: MeshWide | undefined = state.meshConfig && meshWide(state, state.meshConfig),
): DesiredProxyConfig | undefined {
  const mesh = state.meshConfig;
  if (!mesh || !shared || !meshedNamespaces(state).includes(namespace)) return undefined;
  const policies = policiesForNamespace(shared.compiled.policies, namespace);
  return renderProxyConfig(proxyConfigDocument(namespace, mesh, shared.services, policies), limitBytes);
}
