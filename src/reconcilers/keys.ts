import type { ObservedState } from './observed.js';
import { meshedNamespaces } from './proxy-config.js';

const sortedUnique = (names: Array<string | undefined>) =>
  [...new Set(names.filter((n): n is string => !!n))].sort();

/**
 * The namespaces (proxy-config keys) to reconcile after any object changes. Every document lists
 * every Service and the mesh-wide settings, so every meshed namespace is affected; so is a namespace
 * that still has a ConfigMap (it may have to go), and the changed object's own namespace (its mesh
 * CRs' conditions). The debouncer coalesces the many keys one burst yields.
 */
export function proxyConfigKeys(
  state: Pick<ObservedState, 'pods' | 'proxyConfigMaps'>,
  changedNamespace: string | undefined,
): string[] {
  return sortedUnique([
    ...meshedNamespaces(state),
    ...state.proxyConfigMaps.map((c) => c.metadata?.namespace),
    changedNamespace,
  ]);
}

/**
 * The namespaces (identity keys) to reconcile: a Pod or Certificate change concerns its own
 * namespace; a MeshConfig change (no namespace) every namespace with meshed pods or identities.
 */
export function identityKeys(
  state: Pick<ObservedState, 'pods' | 'identityCertificates'>,
  changedNamespace: string | undefined,
): string[] {
  if (changedNamespace) return [changedNamespace];
  return sortedUnique([
    ...meshedNamespaces(state),
    ...state.identityCertificates.map((c) => c.metadata.namespace),
  ]);
}
