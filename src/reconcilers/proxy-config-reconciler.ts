import type { MeshConfig } from '../api/crds/index.js';
import { proxyConfigMap } from '../api/names.js';
import type { ObjectKey, ReconcileResult, Reconciler } from '../operator/reconciler.js';
import { configHashAnnotation, managedBy, meshConfigOwner, sameOwners } from './labels.js';
import { namespaceWarning, proxyConfigMapObject } from './objects.js';
import { type ObservedState, type ObservedStateReader, snapshot } from './observed.js';
import { LastAccepted } from './policies/last-accepted.js';
import type { PolicyOutcome } from './policies/outcome.js';
import { policyConditions, statusUpToDate } from './policy-conditions.js';
import { configMapLimitBytes, desiredProxyConfig, type MeshWide, meshWide } from './proxy-config.js';
import type { ClusterWriter } from './writer.js';

export interface ProxyConfigOptions {
  limitBytes?: number;
  now?: () => Date;
}

const reasons = { TooLarge: 'ProxyConfigTooLarge', Invalid: 'ProxyConfigInvalid' } as const;

/** The same objects in the same order: compared by reference, as caches replace what changed. */
function sameElements(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** What meshWide reads besides the MeshConfig. */
const meshWideInputs = (state: ObservedState) =>
  [state.services, state.endpointSlices, state.pods, state.meshObjects] as const;

/**
 * Keyed by namespace (`{ name: <namespace> }`): makes that namespace's `trellis-proxy-config` match
 * the observed state, and writes Accepted/ResolvedRefs on the mesh CRs that live there. The operator
 * enqueues every meshed namespace when a Service, EndpointSlice or Pod changes (each document lists
 * every Service), through a Debouncer so bursts coalesce.
 */
export class ProxyConfigReconciler implements Reconciler {
  readonly name = 'proxy-config';
  readonly #limitBytes: number;
  readonly #now: () => Date;
  /**
   * The last meshWide result and what it was computed from. A burst enqueues every meshed namespace
   * and each reconcile would compute the same Services and policies again; at 1,000 endpoints in 10
   * namespaces that was the largest share of the operator's CPU. Reused only while every input is the
   * very same object: cached objects are never mutated, an update replaces them.
   */
  #shared: { mesh: MeshConfig; inputs: ReturnType<typeof meshWideInputs>; value: MeshWide } | undefined;
  /** Each CR's last accepted version, compiled in place of a refused edit (for this process's life). */
  readonly #lastAccepted = new LastAccepted();

  constructor(
    private readonly reader: ObservedStateReader,
    private readonly writer: ClusterWriter,
    options: ProxyConfigOptions = {},
  ) {
    this.#limitBytes = options.limitBytes ?? configMapLimitBytes;
    this.#now = options.now ?? (() => new Date());
  }

  async reconcile(key: ObjectKey, signal: AbortSignal): Promise<ReconcileResult | undefined> {
    const namespace = key.name;
    const state = snapshot(this.reader);
    const mesh = state.meshConfig;
    if (!mesh) return undefined;
    const shared = this.#meshWide(state, mesh);
    await this.#statuses(state, namespace, shared.compiled.outcomes, signal);
    signal.throwIfAborted();
    await this.#configMap(state, mesh, namespace, shared);
    return undefined;
  }

  #meshWide(state: ObservedState, mesh: MeshConfig): MeshWide {
    const inputs = meshWideInputs(state);
    const last = this.#shared;
    if (last?.mesh === mesh && inputs.every((list, i) => sameElements(list, last.inputs[i] ?? []))) {
      return last.value;
    }
    const value = meshWide(state, mesh, this.#lastAccepted);
    this.#shared = { mesh, inputs, value };
    return value;
  }

  async #statuses(
    state: ObservedState,
    namespace: string,
    outcomes: readonly PolicyOutcome[],
    signal: AbortSignal,
  ): Promise<void> {
    const now = this.#now();
    for (const obj of state.meshObjects) {
      if (obj.metadata.namespace !== namespace) continue;
      const outcome = outcomes.find(
        (o) => o.kind === obj.kind && o.namespace === namespace && o.name === obj.metadata.name,
      );
      if (!outcome) continue;
      const conditions = policyConditions(obj, outcome, now);
      if (statusUpToDate(obj, conditions)) continue;
      signal.throwIfAborted();
      await this.writer.applyStatus({
        apiVersion: obj.apiVersion,
        kind: obj.kind,
        metadata: { name: obj.metadata.name, namespace },
        status: { observedGeneration: obj.metadata.generation ?? 0, conditions },
      });
    }
  }

  async #configMap(
    state: ObservedState,
    mesh: MeshConfig,
    namespace: string,
    shared: MeshWide,
  ): Promise<void> {
    const existing = state.proxyConfigMaps.find((c) => c.metadata?.namespace === namespace);
    const desired = desiredProxyConfig(state, namespace, this.#limitBytes, shared);
    if (!desired) {
      // Only a ConfigMap we made is removed; one someone else wrote under our name is theirs.
      if (existing?.metadata?.labels?.[managedBy.key] === managedBy.value) {
        await this.writer.delete({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          namespace,
          name: proxyConfigMap.name,
        });
      }
      return;
    }
    if (!desired.ok) {
      // Not written: the last good ConfigMap stays, and the event says why.
      const event = namespaceWarning(
        namespace,
        reasons[desired.reason],
        desired.message,
        desired.hash,
        this.#now(),
      );
      await this.writer.recordEvent(event);
      return;
    }
    // Both hash and bytes: a hand edit that kept the annotation is still put right.
    const same =
      existing?.metadata?.annotations?.[configHashAnnotation] === desired.hash &&
      existing.data?.[proxyConfigMap.key] === desired.json &&
      sameOwners(existing.metadata, meshConfigOwner(mesh));
    if (same) return;
    await this.writer.apply(proxyConfigMapObject(namespace, desired.json, desired.hash, mesh));
  }
}
