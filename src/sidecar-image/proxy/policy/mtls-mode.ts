import type { PeerAuthentication } from '../../../api/proxy-config-policies.js';
import { labelsMatch } from './subset.js';

export type MtlsMode = 'STRICT' | 'PERMISSIVE' | 'DISABLE';

/**
 * The inbound mTLS mode of one workload, resolved at config load (the proxy serves one pod, whose
 * namespace and labels it knows), so the per-connection check is a map read. Most specific wins:
 * a port mode of the workload policy, the workload policy's mode, the namespace policy, the
 * mesh-wide policy (trellis-system, no selector), then MeshConfig's `mtlsMode`. Among several
 * workload policies selecting the pod the first in the list, the oldest, is the workload policy (as
 * Istio picks the oldest); the compiler keeps one namespace and one mesh policy.
 */
export class WorkloadMtls {
  readonly #ports = new Map<number, MtlsMode>();
  readonly mode: MtlsMode;
  /** The policy that decided `mode`, or `MeshConfig`, for /config and logs. */
  readonly source: string;

  constructor(
    policies: readonly PeerAuthentication[],
    namespace: string,
    labels: Record<string, string>,
    meshDefault: MtlsMode,
  ) {
    const mesh = policies.find((p) => p.scope === 'mesh');
    const ns = policies.find((p) => p.scope === 'namespace' && p.namespace === namespace);
    const workload = policies.find(
      (p) => p.scope === 'workload' && p.namespace === namespace && labelsMatch(p.selector ?? {}, labels),
    );
    const decided = [workload, ns, mesh].find((p) => p?.mode !== undefined);
    this.mode = decided?.mode ?? meshDefault;
    this.source = decided?.source ?? 'MeshConfig';
    for (const pm of workload?.portModes ?? []) this.#ports.set(pm.port, pm.mode);
  }

  /** The mode for a connection to the workload's container port `port`. */
  modeFor(port: number): MtlsMode {
    return this.#ports.get(port) ?? this.mode;
  }
}

/**
 * Whether a connection may go on: STRICT needs mTLS; PERMISSIVE and DISABLE take both. DISABLE still
 * takes mTLS because a calling proxy cannot know it (a namespace's config does not carry the
 * PeerAuthentications of other namespaces) and always speaks mTLS to a meshed pod; refusing would
 * break every meshed caller. Istio avoids this with client-side knowledge we do not ship.
 */
export function mtlsAdmits(mode: MtlsMode, isMtls: boolean): boolean {
  return mode !== 'STRICT' || isMtls;
}
