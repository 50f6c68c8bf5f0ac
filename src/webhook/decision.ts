import type { V1ObjectMeta, V1PodSpec } from '@kubernetes/client-node';
import { annotations, containers, controlPlaneNamespace } from '../api/names.js';
import { parseStatus } from './status.js';

/** A pod, or a workload's pod template: the decision and the rendering only read these two. */
export interface PodLike {
  metadata?: V1ObjectMeta;
  spec?: V1PodSpec;
}

export type InjectReason = 'pod-annotation' | 'pod-label' | 'namespace-label' | 'offline';
export type SkipReason =
  | 'system-namespace'
  | 'opted-out'
  | 'not-opted-in'
  | 'invalid-inject-value'
  | 'host-network'
  | 'already-injected'
  | 'other-mesh';

export type Decision =
  | { inject: true; reason: InjectReason }
  | { inject: false; reason: SkipReason; message: string };

export interface DecisionContext {
  namespace: string;
  /**
   * Why a pod that says nothing is injected: its namespace is labelled
   * (the webhook entry that matched says so) or trellisctl was asked to.
   */
  defaultOptIn?: 'namespace-label' | 'offline';
}

/** Never meshed: the webhook entries exclude them too (mwc.ts), this check covers trellisctl and relabelling. */
export const systemNamespaces = ['kube-system', 'kube-public', 'kube-node-lease', controlPlaneNamespace];
const isSystemNamespace = (ns: string) => systemNamespaces.includes(ns);

/** Containers and annotations by which other meshes mark the pods they own. */
const otherMeshContainers = new Set([
  'istio-proxy',
  'istio-init',
  'istio-validation',
  'linkerd-proxy',
  'linkerd-init',
]);
const otherMeshAnnotations = [
  ['sidecar.istio.io/status', undefined],
  ['linkerd.io/proxy-version', undefined],
  ['ambient.istio.io/redirection', 'enabled'],
] as const;

function containerNames(spec: V1PodSpec | undefined): string[] {
  return [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])].map((c) => c.name);
}

/** Already carries our sidecar: what the status annotation lists is all there, or a proxy container is. */
export function isInjected(pod: PodLike): boolean {
  const names = new Set(containerNames(pod.spec));
  if (names.has(containers.proxy)) return true;
  const status = parseStatus(pod.metadata?.annotations?.[annotations.status]);
  return status !== undefined && [...status.initContainers, ...status.containers].every((n) => names.has(n));
}

function otherMesh(pod: PodLike): string | undefined {
  const container = containerNames(pod.spec).find((n) => otherMeshContainers.has(n));
  if (container) return `container ${container}`;
  const podAnnotations = pod.metadata?.annotations ?? {};
  for (const [key, value] of otherMeshAnnotations) {
    const actual = podAnnotations[key];
    if (actual !== undefined && (value === undefined || actual === value)) return `annotation ${key}`;
  }
  return undefined;
}

/**
 * Whether to inject, and why (or why not). Pure: the webhook and trellisctl
 * both call it, the reason becomes a metric label and, for skips the user
 * should know about, an admission warning.
 */
export function decide(pod: PodLike, ctx: DecisionContext): Decision {
  const skip = (reason: SkipReason, message: string): Decision => ({ inject: false, reason, message });
  if (isSystemNamespace(ctx.namespace)) {
    return skip('system-namespace', `namespace ${ctx.namespace} is never meshed`);
  }

  const annotation = pod.metadata?.annotations?.[annotations.inject];
  const label = pod.metadata?.labels?.[annotations.inject];
  if (annotation === 'false' || label === 'false') {
    return skip('opted-out', `the pod opted out (${annotations.inject}: "false")`);
  }
  for (const [where, value] of [
    ['annotation', annotation],
    ['label', label],
  ] as const) {
    if (value !== undefined && value !== 'true') {
      return skip(
        'invalid-inject-value',
        `${where} ${annotations.inject}: "${value}" is neither "true" nor "false"`,
      );
    }
  }
  const reason: InjectReason | undefined =
    annotation === 'true' ? 'pod-annotation' : label === 'true' ? 'pod-label' : ctx.defaultOptIn;
  if (!reason) return skip('not-opted-in', 'neither the pod nor its namespace asked for the mesh');

  if (pod.spec?.hostNetwork) {
    return skip('host-network', 'hostNetwork pods share the node network namespace and cannot be captured');
  }
  if (isInjected(pod)) return skip('already-injected', 'the pod already carries the Trellis proxy');
  const other = otherMesh(pod);
  if (other) return skip('other-mesh', `the pod belongs to another mesh (${other})`);
  return { inject: true, reason };
}
