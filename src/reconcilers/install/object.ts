import type { KubernetesObject, V1ObjectMeta, V1OwnerReference } from '@kubernetes/client-node';

/**
 * An object the install applies: kind and name always known, so it can be applied and deleted; the
 * rest (spec, data, rules...) is the kind's own, as the API server takes it in JSON.
 */
export type InstallObject = KubernetesObject & {
  apiVersion: string;
  kind: string;
  metadata: V1ObjectMeta & { name: string };
  [field: string]: unknown;
};

/** Names one object of the install; `namespace` absent for cluster-scoped kinds. */
export interface InstallRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string | undefined;
}

export const refOf = (obj: InstallObject): InstallRef => ({
  apiVersion: obj.apiVersion,
  kind: obj.kind,
  name: obj.metadata.name,
  ...(obj.metadata.namespace ? { namespace: obj.metadata.namespace } : {}),
});

/** The MeshConfig the install belongs to, as owner of what it makes (uninstall's safety net). */
export interface MeshOwner {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
}

export function ownerReferences(owner: MeshOwner): V1OwnerReference[] {
  return [
    { apiVersion: owner.apiVersion, kind: owner.kind, name: owner.name, uid: owner.uid, controller: true },
  ];
}

/** `Kind namespace/name` (or `Kind name`): how status messages and logs name an object. */
export function describeObject(obj: { kind: string; namespace?: string | undefined; name: string }): string {
  return obj.namespace ? `${obj.kind} ${obj.namespace}/${obj.name}` : `${obj.kind} ${obj.name}`;
}
