import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Backoff } from './backoff.js';
import type { Controller, ControllerContext } from './controller.js';
import { type Cache, Informer, type InformerTiming } from './informer.js';
import type { OperatorMetrics } from './metrics.js';
import type { Resource } from './resource.js';
import { WorkQueue } from './workqueue.js';

export interface RuntimeOptions {
  kc: KubeConfig;
  controllers: readonly Controller[];
  informer: InformerTiming;
  queue: { workers: number; backoff: Backoff };
  logger: Logger;
  metrics: OperatorMetrics;
}

const sameResource = (a: Resource, b: Resource) =>
  a.apiVersion === b.apiVersion &&
  a.plural === b.plural &&
  a.namespace === b.namespace &&
  a.labelSelector === b.labelSelector &&
  a.fieldSelector === b.fieldSelector;

/**
 * The controllers of one leadership term: one informer per resource id (shared between controllers),
 * one work queue per controller. Workers start only once every cache has synced, so a reconciler never
 * mistakes a cache still filling for a cluster without those objects.
 */
export class ControllerRuntime {
  private readonly informers = new Map<string, Informer<KubernetesObject>>();
  private readonly queues: WorkQueue[] = [];
  private readonly stopping = new AbortController();
  private started = false;

  constructor(private readonly options: RuntimeOptions) {
    const { kc, controllers, logger } = options;
    const names = new Set<string>();
    for (const controller of controllers) {
      let queue: WorkQueue | undefined;
      const context: ControllerContext = {
        kc,
        logger,
        // The caller names the kind its resource holds; see ControllerContext.cache.
        cache: <T extends KubernetesObject>(resource: Resource) =>
          this.informer(resource) as unknown as Cache<T>,
        enqueue: (key, afterMs = 0) => {
          if (!queue) throw new Error('enqueue was called during setup, before the queue exists');
          queue.addAfter(key, afterMs);
        },
        signal: this.stopping.signal,
        registry: options.metrics.registry,
      };
      const { reconciler, watches } = controller.setup(context);
      if (names.has(reconciler.name)) throw new Error(`two controllers are named ${reconciler.name}`);
      names.add(reconciler.name);
      const own = new WorkQueue({
        reconciler,
        workers: controller.workers ?? options.queue.workers,
        backoff: options.queue.backoff,
        logger,
        observer: options.metrics.queueObserver(reconciler.name),
      });
      queue = own;
      options.metrics.trackQueue(reconciler.name, () => own.depth);
      this.queues.push(own);
      for (const watched of watches) {
        this.informer(watched.resource).onChange((event, obj) => {
          for (const key of watched.keys(event, obj)) own.add(key);
        });
      }
    }
  }

  /** Starts the informers, waits for their caches, then starts the workers; returns early on `stop`. */
  async start(): Promise<void> {
    this.started = true;
    for (const informer of this.informers.values()) informer.start();
    const stopped = new Promise<void>((resolve) =>
      this.stopping.signal.addEventListener('abort', () => resolve()),
    );
    await Promise.race([Promise.all([...this.informers.values()].map((i) => i.waitForSync())), stopped]);
    if (this.stopping.signal.aborted) return;
    this.options.logger.info({ resources: [...this.informers.keys()] }, 'caches synced; starting workers');
    for (const queue of this.queues) queue.start();
  }

  /** Resource ids whose caches have not synced yet (empty when all have). */
  unsynced(): string[] {
    return [...this.informers.entries()].filter(([, informer]) => !informer.hasSynced()).map(([id]) => id);
  }

  /** Stops taking work, waits for the reconciles in flight (aborting them after `graceMs`), stops the informers. */
  async stop(graceMs: number): Promise<void> {
    this.stopping.abort();
    await Promise.all(this.queues.map((queue) => queue.shutdown(graceMs)));
    for (const queue of this.queues) this.options.metrics.untrackQueue(queue.name);
    await Promise.all([...this.informers.values()].map((informer) => informer.stop()));
  }

  private informer(resource: Resource): Informer<KubernetesObject> {
    const existing = this.informers.get(resource.id);
    if (existing) {
      if (!sameResource(existing.resource, resource)) {
        throw new Error(`resource id ${resource.id} names two different collections`);
      }
      return existing;
    }
    if (this.started) throw new Error(`cache ${resource.id} was asked for after the runtime started`);
    const informer = new Informer<KubernetesObject>(
      this.options.kc,
      resource,
      this.options.informer,
      this.options.logger,
      this.options.metrics.informerObserver(resource.id),
    );
    this.informers.set(resource.id, informer);
    return informer;
  }
}
