import type { z } from 'zod';
import type { AuthorizationPolicySpec, MeshConfig, PeerAuthenticationSpec } from '../api/crds/index.js';
import { type ProxyConfigInput, proxyConfig, type Service } from '../api/proxy-config.js';
import type { TrafficPolicies } from '../api/proxy-config-policies.js';
import { canonicalJson, contentHash } from './canonical-json.js';
import { activeMeshedPods } from './meshed.js';
import type { MeshObject, ObservedState } from './observed.js';
import { type CompiledPolicies, compilePolicies, policiesForNamespace } from './policies/compile.js';
import type { LastAccepted } from './policies/last-accepted.js';
import { validateSpec, validDestinationPolicies } from './policy-conditions.js';
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

const issueText = (issues: readonly z.core.$ZodIssue[], prefix: readonly PropertyKey[] = []) =>
  issues.map((i) => `${[...prefix, ...i.path].join('.') || '(root)'}: ${i.message}`);

/**
 * The `services` section every namespace's document shares, serialised and checked once: it is most
 * of each document, and the documents differ only around it (namespace, per-namespace policies).
 */
export interface RenderedServices {
  services: Service[];
  json: string;
  issues: string[];
}

export function renderServices(services: Service[]): RenderedServices {
  const parsed = proxyConfig.shape.services.safeParse(services);
  return {
    services,
    json: canonicalJson(services),
    issues: parsed.success ? [] : issueText(parsed.error.issues, ['services']),
  };
}

/**
 * canonicalJson(doc) with the services section taken as already serialised: the top-level keys sorted,
 * each value canonical, exactly the bytes canonicalJson would write.
 */
function documentJson(doc: ProxyConfigInput, servicesJson: string): string {
  const record = doc as Record<string, unknown>;
  const parts = Object.keys(record)
    .sort()
    .flatMap((key) => {
      if (key === 'services') return [`"services":${servicesJson}`];
      const value = record[key];
      return value === undefined ? [] : [`${JSON.stringify(key)}:${canonicalJson(value)}`];
    });
  return `{${parts.join(',')}}`;
}

/**
 * Validates a document with the proxy's own schema and serialises it canonically. Validation runs on
 * what we would write, so the proxy never reads a document it would refuse. `rendered`, when it holds
 * the document's very services array, stands in for checking and serialising that section again.
 */
export function renderProxyConfig(
  doc: ProxyConfigInput,
  limitBytes = configMapLimitBytes,
  rendered?: RenderedServices,
): DesiredProxyConfig {
  const reuse = rendered !== undefined && rendered.services === doc.services;
  const json = reuse ? documentJson(doc, rendered.json) : canonicalJson(doc);
  const hash = contentHash(json);
  // The schema has no check across sections, so the services checked once plus the rest checked here
  // find exactly what checking the whole document would.
  const parsed = proxyConfig.safeParse(reuse ? { ...doc, services: [] } : doc);
  const issues = [
    ...(reuse ? rendered.issues : []),
    ...(parsed.success ? [] : issueText(parsed.error.issues)),
  ];
  if (issues.length > 0) {
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

/**
 * Label keys the proxies match pods on: valid DestinationPolicies' subsets, and the workload selectors
 * of valid AuthorizationPolicies and PeerAuthentications (a proxy knows its own pod's labels only from
 * its endpoint). The only endpoint labels shipped, so unrelated labels do not grow every document.
 */
export function selectorLabelKeys(state: Pick<ObservedState, 'meshObjects'>): Set<string> {
  const subsets = validDestinationPolicies(state.meshObjects).flatMap((p) =>
    (p.spec.subsets ?? []).flatMap((s) => Object.keys(s.labels)),
  );
  const selectors = state.meshObjects.flatMap((o) => {
    if (o.kind !== 'AuthorizationPolicy' && o.kind !== 'PeerAuthentication') return [];
    const v = validateSpec(o);
    // validateSpec parsed it with this kind's schema.
    const spec = v.ok ? (v.spec as AuthorizationPolicySpec | PeerAuthenticationSpec) : undefined;
    return Object.keys(spec?.selector?.matchLabels ?? {});
  });
  return new Set([...subsets, ...selectors]);
}

/** What every namespace's document shares: the Services, and the mesh CRs compiled against them. */
export interface MeshWide {
  /** The namespaces that need a document (meshedNamespaces), as a set. */
  meshed: ReadonlySet<string>;
  services: Service[];
  compiled: CompiledPolicies;
  rendered: RenderedServices;
}

/**
 * Computed once per reconcile: both the documents and the CRs' conditions read it. With `lastAccepted`,
 * a CR whose current version is refused is compiled as its last accepted version (last-accepted.ts);
 * the Services are built from the same versions, so a kept DestinationPolicy's subset labels ship too.
 */
export function meshWide(state: ObservedState, mesh: MeshConfig, lastAccepted?: LastAccepted): MeshWide {
  const build = (objects: readonly MeshObject[]) => {
    const services = desiredServices(
      state,
      mesh.spec.trustDomain,
      selectorLabelKeys({ meshObjects: objects }),
    );
    return { services, compiled: compilePolicies({ objects, services }) };
  };
  const { services, compiled } = lastAccepted
    ? lastAccepted.compile(state.meshObjects, build)
    : build(state.meshObjects);
  return {
    meshed: new Set(meshedNamespaces(state)),
    services,
    compiled,
    rendered: renderServices(services),
  };
}

/**
 * The proxy config of one namespace, or undefined when it needs none: the mesh is not installed, or
 * no meshed pod runs there. `shared` must have been computed from this very state (meshWide).
 */
export function desiredProxyConfig(
  state: ObservedState,
  namespace: string,
  limitBytes = configMapLimitBytes,
  shared: MeshWide | undefined = state.meshConfig && meshWide(state, state.meshConfig),
): DesiredProxyConfig | undefined {
  const mesh = state.meshConfig;
  if (!mesh || !shared?.meshed.has(namespace)) return undefined;
  const policies = policiesForNamespace(shared.compiled.policies, namespace);
  const doc = proxyConfigDocument(namespace, mesh, shared.services, policies);
  return renderProxyConfig(doc, limitBytes, shared.rendered);
}
