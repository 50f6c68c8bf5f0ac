import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Cache, InformerEvent } from './informer.js';
import type { ObjectKey, Reconciler } from './reconciler.js';
import type { Resource } from './resource.js';

/** What a controller's reconciler is built with: a client config, a logger, and the runtime's caches. */
export interface ControllerContext {
  kc: KubeConfig;
  logger: Logger;
  /**
   * The cache of `resource`, shared with every controller that names the same resource id. The caller
   * says what the objects are (`T`); the runtime only knows they are Kubernetes objects.
   */
  cache<T extends KubernetesObject>(resource: Resource): Cache<T>;
}

/** A resource to watch and the keys each of its changes puts on the controller's queue. */
export interface Watched {
  resource: Resource;
  keys(event: InformerEvent, obj: KubernetesObject): ObjectKey[];
}

/**
 * One controller: what it watches, how changes map to keys, and the reconciler that handles the keys.
 * The runtime gives it one work queue of its own, named after the reconciler.
 */
export interface Controller {
  watches: Watched[];
  /** Concurrent reconciles (of different keys); the operator's default when absent. */
  workers?: number;
  reconciler(context: ControllerContext): Reconciler;
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
