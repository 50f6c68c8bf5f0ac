import {
  ADD,
  DELETE,
  ERROR,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  ListWatch,
  UPDATE,
} from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { type Backoff, backoffDelay } from './backoff.js';
import { GuardedWatch } from './guarded-watch.js';
import { kubeGet } from './kube-get.js';
import { matchesLabels } from './labels.js';
import { collectionPath, type Resource } from './resource.js';

export interface InformerTiming {
  /** Delay before reconnecting after a failed list or watch, doubling per consecutive failure. */
  restartBackoff: Backoff;
  /** The server ends each watch after this and ListWatch reconnects: no stream lives for ever. */
  watchTimeoutSeconds: number;
  /**
   * A stream silent for longer than this is presumed dead and replaced. Streams ask for bookmarks, which
   * the API server sends about once a minute, so a live stream is not silent for long; replacing a live
   * one only costs a reconnect from the same resourceVersion.
   */
  watchdogMs: number;
  /** Full re-list this often, to repair anything a watch may have missed. */
  relistMs: number;
  /** A list that has not answered after this has failed. */
  listTimeoutMs: number;
  /** A watch the server closes cleanly sooner than this counts as a failure (no hot reconnect loop). */
  minWatchMs: number;
}

export type InformerEvent = 'add' | 'update' | 'delete';
export type RestartReason = 'error' | 'watchdog' | 'forced';

export interface InformerObserver {
  restarted(reason: RestartReason): void;
}

/** What reconcilers read: the informer's in-memory copy of the collection. */
export interface Cache<T extends KubernetesObject> {
  get(name: string, namespace?: string): T | undefined;
  list(options?: { namespace?: string; labels?: Readonly<Record<string, string>> }): T[];
}

/**
 * client-node's ListWatch under supervision. ListWatch lists, then watches from the list's
 * resourceVersion and reconnects after a clean close; but after an error it stops for good, a stream that
 * silently dies (a half-open connection) is never noticed, and it never lists again unless the server
 * says 410 Gone. Here errors restart it with exponential backoff, a watchdog replaces a stream that has
 * been silent (not even a bookmark) for too long, and a timer forces a periodic re-list.
 */
export class Informer<T extends KubernetesObject> implements Cache<T> {
  private readonly listWatch: ListWatch<T>;
  private readonly watch: GuardedWatch;
  private readonly log: Logger;
  private state: 'idle' | 'running' | 'backoff' | 'stopped' = 'idle';
  private failures = 0;
  private synced = false;
  private streams = 0;
  private lastActivity = 0;
  private readonly syncWaiters: Array<() => void> = [];
  private timers: NodeJS.Timeout[] = [];
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(
    kc: KubeConfig,
    readonly resource: Resource,
    private readonly timing: InformerTiming,
    logger: Logger,
    private readonly observer?: InformerObserver,
  ) {
    this.log = logger.child({ resource: resource.id });
    this.watch = new GuardedWatch(kc, {
      timeoutSeconds: timing.watchTimeoutSeconds,
      minWatchMs: timing.minWatchMs,
      opened: () => this.opened(),
      activity: () => {
        this.lastActivity = Date.now();
        this.failures = 0;
      },
    });
    const path = collectionPath(resource);
    const list = () =>
      kubeGet<KubernetesListObject<T>>(
        kc,
        path,
        { labelSelector: resource.labelSelector, fieldSelector: resource.fieldSelector },
        timing.listTimeoutMs,
      );
    this.listWatch = new ListWatch<T>(
      path,
      this.watch,
      list,
      false,
      resource.labelSelector,
      resource.fieldSelector,
    );
    this.listWatch.on(ERROR, (err: unknown) => this.failed(err));
  }

  /** Calls `handler` for every change the cache sees, including the adds of the first list. */
  onChange(handler: (event: InformerEvent, obj: T) => void): void {
    this.listWatch.on(ADD, (obj) => handler('add', obj));
    this.listWatch.on(UPDATE, (obj) => handler('update', obj));
    this.listWatch.on(DELETE, (obj) => handler('delete', obj));
  }

  start(): void {
    if (this.state !== 'idle') throw new Error(`informer ${this.resource.id} was already started`);
    const { watchdogMs, relistMs } = this.timing;
    this.timers = [
      setInterval(() => this.checkWatchdog(), Math.max(10, Math.floor(watchdogMs / 4))),
      setInterval(() => this.relist(), relistMs),
    ];
    this.connect();
  }

  async stop(): Promise<void> {
    this.state = 'stopped';
    for (const timer of this.timers) clearInterval(timer);
    clearTimeout(this.retryTimer);
    this.watch.close();
    await this.listWatch.stop();
  }

  /** Drops the stream and connects again from the last resourceVersion (the watchdog's remedy; tests force it). */
  restart(reason: RestartReason = 'forced'): void {
    if (this.state !== 'running' && this.state !== 'backoff') return;
    clearTimeout(this.retryTimer);
    this.log.warn({ reason }, 'restarting the informer');
    this.observer?.restarted(reason);
    this.connect();
  }

  /** Watch streams opened so far: one per connect, reconnect after the server ends a stream, and re-list. */
  get streamsOpened(): number {
    return this.streams;
  }

  /** True once a list has completed: the cache then holds the whole collection. */
  hasSynced(): boolean {
    return this.synced;
  }

  waitForSync(): Promise<void> {
    if (this.synced) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  get(name: string, namespace?: string): T | undefined {
    return this.listWatch.get(name, namespace);
  }

  list(options: { namespace?: string; labels?: Readonly<Record<string, string>> } = {}): T[] {
    const all = this.listWatch.list(options.namespace);
    const { labels } = options;
    return labels ? all.filter((obj) => matchesLabels(obj, labels)) : [...all];
  }

  private connect(): void {
    this.state = 'running';
    this.lastActivity = Date.now();
    this.watch.invalidate();
    this.watch.grant();
    this.listWatch.start().catch((err: unknown) => this.failed(err));
  }

  private opened(): void {
    this.streams++;
    this.lastActivity = Date.now();
    if (this.synced) return;
    this.synced = true;
    this.log.info('cache synced');
    for (const resolve of this.syncWaiters.splice(0)) resolve();
  }

  private failed(err: unknown): void {
    if (this.state !== 'running') return;
    this.watch.invalidate();
    this.failures++;
    const delayMs = backoffDelay(this.failures, this.timing.restartBackoff);
    this.log.warn(
      { err, failures: this.failures, delayMs },
      'list or watch failed; restarting after backoff',
    );
    this.observer?.restarted('error');
    this.state = 'backoff';
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (this.state === 'backoff') this.connect();
    }, delayMs);
  }

  private checkWatchdog(): void {
    if (this.state === 'running' && Date.now() - this.lastActivity > this.timing.watchdogMs)
      this.restart('watchdog');
  }

  private relist(): void {
    if (this.state === 'running' && this.watch.relist()) {
      this.lastActivity = Date.now();
      this.log.debug('periodic re-list');
    }
  }
}
