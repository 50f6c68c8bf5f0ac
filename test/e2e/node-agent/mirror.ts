import { type KubeConfig, type KubernetesObject, Watch } from '@kubernetes/client-node';
import type { Logger } from 'pino';

export type MirrorEvent = 'added' | 'modified' | 'deleted';

export interface MirrorOptions<T extends KubernetesObject> {
  kc: KubeConfig;
  /** The watch path, e.g. `/api/v1/pods`. */
  path: string;
  fieldSelector?: string;
  list: () => Promise<{ items: T[]; metadata?: { resourceVersion?: string } }>;
  onEvent: (event: MirrorEvent, object: T) => void;
  log: Logger;
  /** A full re-list this often, so an event the watch missed is healed (client-node's informer does not heal itself). */
  resyncMs?: number;
}

const keyOf = (o: KubernetesObject) => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;

/**
 * A local copy of a set of objects, kept by list-then-watch, re-listing after
 * any watch end or error and on a resync period. Each re-list reports the
 * differences as events, so consumers see deletions the watch missed.
 */
export class Mirror<T extends KubernetesObject> {
  readonly objects = new Map<string, T>();
  private stopped = false;
  private abort: AbortController | undefined;
  private wake: (() => void) | undefined;
  private firstSync: Promise<void>;
  private markSynced: () => void = () => {};

  constructor(private readonly opts: MirrorOptions<T>) {
    this.firstSync = new Promise((resolve) => {
      this.markSynced = resolve;
    });
    void this.loop();
  }

  get(namespace: string, name: string): T | undefined {
    return this.objects.get(`${namespace}/${name}`);
  }

  synced(): Promise<void> {
    return this.firstSync;
  }

  stop(): void {
    this.stopped = true;
    this.abort?.abort();
    this.wake?.();
  }

  private async loop(): Promise<void> {
    const { log, resyncMs = 30_000 } = this.opts;
    while (!this.stopped) {
      try {
        const resourceVersion = await this.relist();
        this.markSynced();
        await this.watchUntilEnd(resourceVersion, resyncMs);
      } catch (err) {
        log.warn({ err, path: this.opts.path }, 'list or watch failed; retrying');
        await this.sleep(1_000);
      }
    }
  }

  private async relist(): Promise<string | undefined> {
    const list = await this.opts.list();
    const seen = new Set<string>();
    for (const item of list.items) {
      const key = keyOf(item);
      seen.add(key);
      this.apply(this.objects.has(key) ? 'modified' : 'added', item);
    }
    for (const [key, old] of this.objects) if (!seen.has(key)) this.apply('deleted', old);
    return list.metadata?.resourceVersion;
  }

  private apply(event: MirrorEvent, object: T): void {
    const key = keyOf(object);
    const old = this.objects.get(key);
    if (event === 'deleted') this.objects.delete(key);
    else {
      // A re-list repeats what is already known: only real changes are news.
      if (old?.metadata?.resourceVersion === object.metadata?.resourceVersion && event === 'modified') return;
      this.objects.set(key, object);
    }
    this.opts.onEvent(event, object);
  }

  /** Resolves when the watch ends for any reason, or at the resync deadline. */
  private async watchUntilEnd(resourceVersion: string | undefined, resyncMs: number): Promise<void> {
    const ended = new Promise<void>((resolve) => {
      this.wake = resolve;
    });
    const timer = setTimeout(() => this.wake?.(), resyncMs);
    const query: Record<string, string | boolean> = { allowWatchBookmarks: true };
    if (resourceVersion) query.resourceVersion = resourceVersion;
    if (this.opts.fieldSelector) query.fieldSelector = this.opts.fieldSelector;
    try {
      this.abort = await new Watch(this.opts.kc).watch(
        this.opts.path,
        query,
        (phase: string, object: T) => {
          if (phase === 'ADDED') this.apply('added', object);
          else if (phase === 'MODIFIED') this.apply('modified', object);
          else if (phase === 'DELETED') this.apply('deleted', object);
          // BOOKMARK needs nothing; ERROR (410 Gone) ends in `done` and a re-list.
        },
        () => this.wake?.(),
      );
      if (this.stopped) this.abort.abort();
      await ended;
    } finally {
      clearTimeout(timer);
      this.abort?.abort();
      this.abort = undefined;
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
