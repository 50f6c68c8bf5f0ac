import type { V1Pod } from '@kubernetes/client-node';
import type { MeshConfigStatus } from '../../api/crds/index.js';
import { annotations } from '../../api/names.js';
import { parseStatus } from '../../webhook/status.js';
import { activeMeshedPods } from '../meshed.js';

/** status.outdatedPods and status.injectionDrift list this many pods at most (the CRD's bound). */
export const sampleLimit = 100;
const versionLimit = 64;

export type PodSample = NonNullable<MeshConfigStatus['outdatedPods']>;

/**
 * The proxy version a pod runs, from what the injector recorded (`trellis.dev/status`, then the
 * `trellis.dev/proxy-version` label it also sets). Undefined when neither says: such a pod was not
 * injected by Trellis as we know it, so its version is unknown and it counts as outdated.
 */
export function proxyVersionOf(pod: V1Pod): string | undefined {
  return (
    parseStatus(pod.metadata?.annotations?.[annotations.status])?.version ??
    pod.metadata?.labels?.[annotations.proxyVersion]
  );
}

export const byNamespaceAndName = (a: V1Pod, b: V1Pod): number => {
  const ka = `${a.metadata?.namespace ?? ''}/${a.metadata?.name ?? ''}`;
  const kb = `${b.metadata?.namespace ?? ''}/${b.metadata?.name ?? ''}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
};

/** Running meshed pods whose proxy is not `installedVersion`. */
export function outdatedPods(pods: readonly V1Pod[], installedVersion: string): V1Pod[] {
  return activeMeshedPods(pods).filter((p) => proxyVersionOf(p) !== installedVersion);
}

/** A sorted, bounded sample: the same pods give the same bytes whatever order the list came in. */
export function podSample(pods: readonly V1Pod[], withVersion: boolean): PodSample {
  const listed = [...pods]
    .sort(byNamespaceAndName)
    .slice(0, sampleLimit)
    .map((p) => {
      const found = withVersion ? proxyVersionOf(p) : undefined;
      // status allows 64 characters; a hand-edited annotation may hold more.
      const version = found !== undefined && found.length <= versionLimit ? found : undefined;
      return {
        namespace: p.metadata?.namespace ?? '',
        name: p.metadata?.name ?? '',
        ...(version !== undefined ? { version } : {}),
      };
    });
  return { count: pods.length, ...(listed.length > 0 ? { pods: listed } : {}) };
}

export function outdatedReport(pods: readonly V1Pod[], installedVersion: string): PodSample {
  return podSample(outdatedPods(pods, installedVersion), true);
}
