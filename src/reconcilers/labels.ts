import type { V1ObjectMeta, V1OwnerReference } from '@kubernetes/client-node';
import type { MeshConfig } from '../api/crds/index.js';
import { fieldManager } from '../api/names.js';

/** Marks what the reconcilers made, so they find and remove only their own objects. */
export const managedBy = { key: 'app.kubernetes.io/managed-by', value: fieldManager } as const;
export const componentLabel = 'app.kubernetes.io/component';

/** sha256 of the content we wrote: equal hash, nothing to write. */
export const configHashAnnotation = 'trellis.dev/config-hash';

/**
 * The MeshConfig as owner, so deleting it (uninstall) garbage-collects what the reconcilers made.
 * A namespaced object may have a cluster-scoped owner; without a uid (not read from the API server)
 * there is nothing to point at.
 */
export function meshConfigOwner(mesh: MeshConfig): V1OwnerReference[] {
  const uid = mesh.metadata.uid;
  if (!uid) return [];
  return [{ apiVersion: mesh.apiVersion, kind: mesh.kind, name: mesh.metadata.name, uid, controller: true }];
}

/** Whether a stored object already points at the owners we would write (a recreated MeshConfig has a new uid). */
export function sameOwners(stored: V1ObjectMeta | undefined, wanted: readonly V1OwnerReference[]): boolean {
  const uids = (refs: readonly V1OwnerReference[] | undefined) =>
    (refs ?? [])
      .map((r) => r.uid)
      .sort()
      .join(',');
  return uids(stored?.ownerReferences) === uids(wanted);
}
