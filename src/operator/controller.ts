import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Cache, InformerEvent } from './informer.js';
import type { ObjectKey, Reconciler } from './reconciler.js';
import type { Resource } from './resource.js';

/** What a controller is set up with, once per leadership term. */
export interface ControllerContext {
  kc: KubeConfig;
  logger: Logger;
  /**
   * The cache of `resource`, shared with every controller that names the same resource id. The caller
   * says what the objects are (`T`); the runtime only knows they are Kubernetes objects.
   */
  cache<T extends KubernetesObject>(resource: Resource): Cache<T>;
  /**
   * Puts a key on this controller's queue, after `afterMs` when given: for mappings that hand keys on
   * later (a debouncer's `fire`). Not callable during `setup` itself; a no-op once the term has ended.
   */
  enqueue(key: ObjectKey, afterMs?: number): void;
  /** Aborts when the term ends (lost Lease, shutdown): cancel the controller's own timers here. */
  signal: AbortSignal;
  /** The operator's metrics registry (served at /metrics), for a controller's own metrics. */
  registry?: Registry;
}

/** A resource to watch and the keys each of its changes puts on the controller's queue. */
export interface Watched {
  resource: Resource;
  keys(event: InformerEvent, obj: KubernetesObject): ObjectKey[];
}

export interface ControllerSetup {
  reconciler: Reconciler;
  watches: Watched[];
}

/**
 * One controller: the reconciler, what it watches and how changes map to keys. `setup` runs once per
 * leadership term (and once at start-up, as a check), so its mappings can close over that term's caches
 * and `enqueue`. The runtime gives each controller one work queue, named after its reconciler.
 */
export interface Controller {
  /** Concurrent reconciles (of different keys); the operator's default when absent. */
  workers?: number;
  setup(context: ControllerContext): ControllerSetup;
}

/** Builds a `Watched` whose mapping function sees the objects as `T`. */
export function watch<T extends KubernetesObject>(
  resource: Resource,
  keys: (obj: T, event: InformerEvent) => ObjectKey[],
): Watched {
  // The informer for `resource` only ever yields the caller's kind, which the caller names as T.
  return { resource, keys: (event, obj) => keys(obj as T, event) };
}

/** The object's own key: the usual mapping when a controller reconciles the objects it watches. */
export function ownKey(obj: KubernetesObject): ObjectKey[] {
  const name = obj.metadata?.name;
  if (!name) return [];
  const namespace = obj.metadata?.namespace;
  return [namespace ? { namespace, name } : { name }];
}
