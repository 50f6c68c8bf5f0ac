import type { MeshObject } from '../observed.js';

/** Creation time in ms; an object without one (not from the API server) counts as the newest. */
function createdMs(o: MeshObject): number {
  const t = o.metadata.creationTimestamp as Date | string | undefined;
  const ms = t === undefined ? Number.NaN : new Date(t).getTime();
  return Number.isNaN(ms) ? Number.POSITIVE_INFINITY : ms;
}

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Oldest first, then namespace, name and kind: the order in which conflicts are settled (the oldest
 * policy wins, as in Istio and Gateway API), and one that does not depend on the order objects were
 * listed in, so the compiled document is the same bytes whatever the cache returned.
 */
export function byAge(a: MeshObject, b: MeshObject): number {
  const d = createdMs(a) - createdMs(b);
  if (d !== 0 && !Number.isNaN(d)) return d;
  return (
    byText(a.metadata.namespace, b.metadata.namespace) ||
    byText(a.metadata.name, b.metadata.name) ||
    byText(a.kind, b.kind)
  );
}

/** `TrafficRoute shop/reviews`: how a compiled entry names the object it came from. */
export function sourceOf(o: MeshObject): string {
  return `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`;
}
