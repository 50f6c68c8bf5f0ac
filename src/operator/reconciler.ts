/**
 * The contract between the operator runtime (work queues, informers) and the
 * reconcilers, in controller-runtime's shape: a reconciler is handed a key,
 * reads observed state from caches, makes the cluster match the desired
 * state, and either succeeds, asks to be requeued later, or throws (the queue
 * retries the key with per-key exponential backoff).
 */
export interface ObjectKey {
  /** Absent for cluster-scoped objects. */
  namespace?: string;
  name: string;
}

export interface ReconcileResult {
  /** Reconcile this key again after this long even though nothing changed (e.g. a rollout step). */
  requeueAfterMs?: number;
}

export interface Reconciler {
  /** Names the queue in logs and metrics, e.g. `proxy-config`. */
  name: string;
  reconcile(key: ObjectKey, signal: AbortSignal): Promise<ReconcileResult | undefined>;
}

/** `namespace/name`, or `name` when cluster-scoped: the work queue's de-duplication key. */
export function keyString(key: ObjectKey): string {
  return key.namespace ? `${key.namespace}/${key.name}` : key.name;
}

export function parseKey(text: string): ObjectKey {
  const slash = text.indexOf('/');
  return slash < 0 ? { name: text } : { namespace: text.slice(0, slash), name: text.slice(slash + 1) };
}
