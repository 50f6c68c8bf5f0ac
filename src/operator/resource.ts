/**
 * One collection an informer lists and watches. `id` names it in logs and metrics and lets controllers
 * share one informer (and one cache) for the same collection.
 */
export interface Resource {
  id: string;
  /** `v1` for the core group, else `group/version`, e.g. `trellis.dev/v1alpha1`. */
  apiVersion: string;
  /** The resource's plural name, e.g. `configmaps`. */
  plural: string;
  /** Watch one namespace only; all namespaces (or a cluster-scoped resource) when absent. */
  namespace?: string;
  /** Server-side filters: the cache then holds only matching objects. */
  labelSelector?: string;
  fieldSelector?: string;
}

/** The collection's URL path, e.g. `/api/v1/namespaces/shop/configmaps` or `/apis/apps/v1/deployments`. */
export function collectionPath(resource: Resource): string {
  const base = resource.apiVersion.includes('/')
    ? `/apis/${resource.apiVersion}`
    : `/api/${resource.apiVersion}`;
  const scope = resource.namespace ? `/namespaces/${encodeURIComponent(resource.namespace)}` : '';
  return `${base}${scope}/${resource.plural}`;
}
