import type { V1Container, V1EnvVar } from '@kubernetes/client-node';
import { annotations, containers, ports, proxyUid } from '../api/names.js';
import { adminPaths, appMetricsEnv, appProbesEnv, type OriginalProbeInput } from '../api/probe-rewrite.js';
import { type Decision, type DecisionContext, decide, type InjectReason, type PodLike } from './decision.js';
import { applyOverrides } from './overrides.js';
import { rewriteProbes } from './probes.js';
import { renderInit, renderProxy, renderVolumes, volumeNames } from './render.js';
import type { InjectionSettings } from './settings.js';
import { formatStatus } from './status.js';

export interface InjectContext extends DecisionContext {
  settings: InjectionSettings;
  /** Whether the proxy is a native sidecar unless the pod says otherwise (settings resolved for this cluster). */
  native: boolean;
}

export type InjectResult =
  | { result: 'injected'; reason: InjectReason; pod: PodLike; warnings: string[] }
  | { result: 'skipped'; reason: Exclude<Decision, { inject: true }>['reason']; message: string }
  | { result: 'refused'; reason: 'invalid-override' | 'name-conflict'; message: string };

const prometheus = {
  scrape: 'prometheus.io/scrape',
  port: 'prometheus.io/port',
  path: 'prometheus.io/path',
  scheme: 'prometheus.io/scheme',
} as const;
const defaultContainerAnnotation = 'kubectl.kubernetes.io/default-container';

/**
 * Scrape annotations point at the proxy, which serves the app's own metrics
 * after its own (src/api/probe-rewrite.ts). Left alone when the app turned
 * scraping off, or asked for it without saying which port.
 */
function mergePrometheus(podAnnotations: Record<string, string>): V1EnvVar[] {
  const scrape = podAnnotations[prometheus.scrape];
  if (scrape === 'false') return [];
  const env: V1EnvVar[] = [];
  if (scrape === 'true') {
    const port = Number(podAnnotations[prometheus.port]);
    if (!Number.isInteger(port) || port < 1 || port > 65535) return [];
    const scheme = podAnnotations[prometheus.scheme] === 'https' ? 'https' : 'http';
    const path = podAnnotations[prometheus.path] ?? '/metrics';
    env.push({ name: appMetricsEnv, value: JSON.stringify({ port, path, scheme }) });
  }
  podAnnotations[prometheus.scrape] = 'true';
  podAnnotations[prometheus.port] = String(ports.admin);
  podAnnotations[prometheus.path] = adminPaths.metrics;
  delete podAnnotations[prometheus.scheme];
  return env;
}

/** App settings that the proxy silently breaks or bypasses: said up front instead. */
function appWarnings(pod: PodLike): string[] {
  const podUid = pod.spec?.securityContext?.runAsUser;
  const reserved = new Set<number>(Object.values(ports));
  return (pod.spec?.containers ?? []).flatMap((c) => [
    ...((c.securityContext?.runAsUser ?? podUid) === proxyUid
      ? [`container ${c.name} runs as UID ${proxyUid}, the proxy's: its traffic bypasses the mesh`]
      : []),
    ...(c.ports ?? [])
      .filter((p) => reserved.has(p.containerPort))
      .map((p) => `container ${c.name} port ${p.containerPort} is reserved for the proxy`),
  ]);
}

/**
 * The one injection both the webhook and `trellisctl inject` run: decide,
 * apply the pod's overrides, render, and return a new pod (the input is not
 * modified).
 */
export function injectPod(input: PodLike, ctx: InjectContext): InjectResult {
  const decision = decide(input, ctx);
  if (!decision.inject) return { result: 'skipped', reason: decision.reason, message: decision.message };

  const overrides = applyOverrides(ctx.settings, ctx.native, input.metadata?.annotations ?? {});
  if (!overrides.ok)
    return { result: 'refused', reason: 'invalid-override', message: overrides.errors.join('; ') };
  const s = overrides.settings;

  const pod = structuredClone(input);
  const metadata = pod.metadata ?? {};
  const spec = pod.spec ?? { containers: [] };
  pod.metadata = metadata;
  pod.spec = spec;

  // A trellis-proxy container already made the decision skip (already-injected); trellis-init alone is a clash.
  const taken = [...(spec.initContainers ?? []), ...spec.containers].map((c) => c.name);
  const takenVolumes = (spec.volumes ?? []).map((v) => v.name);
  const clash = [
    ...(taken.includes(containers.init) ? [`container ${containers.init}`] : []),
    ...Object.values(volumeNames)
      .filter((n) => takenVolumes.includes(n))
      .map((n) => `volume ${n}`),
  ];
  if (clash.length > 0) {
    return { result: 'refused', reason: 'name-conflict', message: `the pod already has ${clash.join(', ')}` };
  }

  const warnings = appWarnings(input);
  const probes: Record<string, OriginalProbeInput> = {};
  const rewrite = (c: V1Container): V1Container => {
    // Only long-running containers have probes: app containers and the app's own native sidecars.
    if (!s.rewriteProbes) return c;
    const r = rewriteProbes(c);
    Object.assign(probes, r.originals);
    warnings.push(...r.kept);
    return r.container;
  };
  const appContainers = spec.containers.map(rewrite);
  const appInit = (spec.initContainers ?? []).map((c) => (c.restartPolicy === 'Always' ? rewrite(c) : c));

  metadata.annotations = { ...metadata.annotations };
  metadata.labels = { ...metadata.labels };
  const env: V1EnvVar[] = [];
  if (Object.keys(probes).length > 0) env.push({ name: appProbesEnv, value: JSON.stringify(probes) });
  if (s.mergePrometheus) env.push(...mergePrometheus(metadata.annotations));

  if (!s.native && spec.restartPolicy !== undefined && spec.restartPolicy !== 'Always') {
    warnings.push(
      `the proxy is not a native sidecar: this run-to-completion pod completes only once the app calls POST http://127.0.0.1:${ports.admin}${adminPaths.quit}`,
    );
  }
  const init = renderInit(s);
  const proxy = renderProxy(s, { env });
  if (s.native) {
    spec.initContainers = [init, proxy, ...appInit];
    spec.containers = appContainers;
  } else {
    // App init containers run before the proxy exists; their traffic is already captured (docs/injection.md).
    spec.initContainers = [init, ...appInit];
    spec.containers = [proxy, ...appContainers];
  }
  const serviceAccount = spec.serviceAccountName ?? spec.serviceAccount ?? 'default';
  spec.volumes = [...(spec.volumes ?? []), ...renderVolumes(serviceAccount)];

  // kubectl logs/exec pick the app, not the proxy that is now first (classic) or alongside it.
  const firstApp = appContainers[0]?.name;
  if (firstApp && metadata.annotations[defaultContainerAnnotation] === undefined) {
    metadata.annotations[defaultContainerAnnotation] = firstApp;
  }
  metadata.annotations[annotations.proxyVersion] = s.version;
  metadata.labels[annotations.proxyVersion] = s.version;
  metadata.annotations[annotations.status] = formatStatus({
    version: s.version,
    native: s.native,
    initContainers: s.native ? [containers.init, containers.proxy] : [containers.init],
    containers: s.native ? [] : [containers.proxy],
    volumes: Object.values(volumeNames),
  });
  return { result: 'injected', reason: decision.reason, pod, warnings };
}
