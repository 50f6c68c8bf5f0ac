import type { KubernetesObject } from '@kubernetes/client-node';
import type { MeshConfigStatus } from '../../../api/crds/index.js';
import { ApplyConflict, type InstallApi, type RawMeshConfig } from '../api.js';
import type { InstallObject, InstallRef } from '../object.js';

type Stored = InstallObject & {
  status?: unknown;
  webhooks?: Array<{ name: string; clientConfig: { caBundle?: string } }>;
};

/**
 * What server-side apply leaves: our fields as applied, the fields others own kept (status, a caBundle
 * cainjector wrote), and a new generation when the spec changed.
 */
function merged(prev: Stored | undefined, next: Stored): Stored {
  if (!prev) return { ...next, metadata: { ...next.metadata, generation: 1 } };
  const changed = JSON.stringify(prev.spec) !== JSON.stringify(next.spec);
  const generation = (prev.metadata.generation ?? 1) + (changed ? 1 : 0);
  const webhooks = next.webhooks?.map((w) => {
    const caBundle = prev.webhooks?.find((p) => p.name === w.name)?.clientConfig.caBundle;
    return caBundle ? { ...w, clientConfig: { ...w.clientConfig, caBundle } } : w;
  });
  return {
    ...next,
    metadata: { ...next.metadata, generation },
    ...(prev.status ? { status: prev.status } : {}),
    ...(webhooks ? { webhooks } : {}),
  };
}

const id = (ref: InstallRef) => `${ref.kind} ${ref.namespace ?? ''}/${ref.name}`;

/**
 * An in-memory InstallApi: `objects` is the cluster, keyed `Kind namespace/name`; every call is
 * recorded. `conflicts` names objects whose apply another field manager refuses; `failures` ones whose
 * apply fails otherwise.
 */
export class FakeInstallApi implements InstallApi {
  readonly objects = new Map<string, KubernetesObject>();
  readonly applied: string[] = [];
  readonly deleted: string[] = [];
  readonly statuses: MeshConfigStatus[] = [];
  readonly finalizerWrites: string[][] = [];
  readonly conflicts = new Set<string>();
  readonly failures = new Set<string>();
  /** Objects a delete leaves in place (a finalizer of someone else's). */
  readonly stuck = new Set<string>();

  constructor(public mesh: RawMeshConfig | undefined) {}

  async meshConfig(name: string) {
    return this.mesh?.metadata.name === name ? structuredClone(this.mesh) : undefined;
  }
  async get<T extends KubernetesObject>(ref: InstallRef) {
    return this.objects.get(id(ref)) as T | undefined;
  }
  async apply(obj: InstallObject) {
    const key = id({ ...obj, name: obj.metadata.name, namespace: obj.metadata.namespace });
    if (this.conflicts.has(key)) {
      throw new ApplyConflict(
        'Apply failed with 1 conflict: conflict with "argocd-controller": .spec.replicas',
      );
    }
    if (this.failures.has(key)) throw new Error('forbidden');
    this.applied.push(key);
    this.objects.set(
      key,
      merged(this.objects.get(key) as Stored | undefined, structuredClone(obj) as Stored),
    );
  }
  async delete(ref: InstallRef) {
    this.deleted.push(id(ref));
    if (!this.stuck.has(id(ref))) this.objects.delete(id(ref));
  }
  async applyMeshConfigFinalizers(_name: string, finalizers: string[]) {
    this.finalizerWrites.push(finalizers);
    if (this.mesh) this.mesh.metadata.finalizers = finalizers;
  }
  async applyMeshConfigStatus(_name: string, status: MeshConfigStatus) {
    this.statuses.push(status);
    if (this.mesh) this.mesh.status = status;
  }
}

export function rawMeshConfig(spec: object = {}, generation = 1): RawMeshConfig {
  return {
    apiVersion: 'trellis.dev/v1alpha1',
    kind: 'MeshConfig',
    metadata: { name: 'default', uid: 'uid-mesh', generation },
    spec,
  };
}
