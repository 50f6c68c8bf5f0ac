import type { Logger } from 'pino';
import { type Backoff, backoffDelay } from './backoff.js';
import { keyString, type ObjectKey, parseKey, type Reconciler } from './reconciler.js';

export type ReconcileOutcome = 'success' | 'requeue' | 'error';

/** What the queue reports, so metrics stay outside it. */
export interface QueueObserver {
  reconciled(outcome: ReconcileOutcome, seconds: number): void;
  retried(): void;
}

export interface WorkQueueOptions {
  reconciler: Reconciler;
  workers: number;
  backoff: Backoff;
  logger: Logger;
  observer?: QueueObserver;
}

/**
 * A rate-limited work queue in client-go's shape: a key waiting in the queue is there once; a key added
 * while it is being reconciled is reconciled once more afterwards, never concurrently; a key that fails
 * waits an exponential, per-key backoff; at most `workers` reconciles run at once. Nothing runs until
 * `start` (controllers start workers once their caches are synced), and events queue up meanwhile.
 */
export class WorkQueue {
  private readonly ready: string[] = [];
  private readonly queued = new Set<string>();
  private readonly processing = new Set<string>();
  /** Keys added while being processed: queued again when their reconcile ends. */
  private readonly dirty = new Set<string>();
  private readonly delayed = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private readonly failures = new Map<string, number>();
  private readonly inflight = new Set<Promise<void>>();
  private readonly abort = new AbortController();
  private started = false;
  private stopping = false;

  constructor(private readonly options: WorkQueueOptions) {
    if (!Number.isInteger(options.workers) || options.workers < 1) {
      throw new Error(`workers must be a positive integer, got ${options.workers}`);
    }
  }

  get name(): string {
    return this.options.reconciler.name;
  }

  /** Keys waiting for a worker (client-go's depth: neither the delayed nor the in-flight ones). */
  get depth(): number {
    return this.ready.length;
  }

  /** Failures since the key's last success; 0 when it has none. */
  failuresOf(key: ObjectKey): number {
    return this.failures.get(keyString(key)) ?? 0;
  }

  add(key: ObjectKey): void {
    this.addString(keyString(key));
  }

  /** Adds the key after `ms`; an earlier pending add of the same key wins. */
  addAfter(key: ObjectKey, ms: number): void {
    this.addStringAfter(keyString(key), ms);
  }

  start(): void {
    if (this.stopping) throw new Error(`queue ${this.name} is shut down`);
    this.started = true;
    this.pump();
  }

  /**
   * Stops taking work and waits for the reconciles in flight. After `graceMs` their AbortSignal fires
   * (they should return promptly then); the wait still lasts until each has returned, so two
   * reconciles of one key never overlap across a restart of the runtime.
   */
  async shutdown(graceMs: number): Promise<void> {
    this.stopping = true;
    for (const { timer } of this.delayed.values()) clearTimeout(timer);
    this.delayed.clear();
    this.ready.length = 0;
    this.queued.clear();
    this.dirty.clear();
    if (this.inflight.size === 0) return;
    const grace = setTimeout(() => this.abort.abort(new Error('work queue shut down')), graceMs);
    try {
      await Promise.all(this.inflight);
    } finally {
      clearTimeout(grace);
    }
  }

  private addString(key: string): void {
    if (this.stopping) return;
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.ready.push(key);
    this.pump();
  }

  private addStringAfter(key: string, ms: number): void {
    if (this.stopping) return;
    if (ms <= 0) {
      this.addString(key);
      return;
    }
    const at = Date.now() + ms;
    const pending = this.delayed.get(key);
    if (pending && pending.at <= at) return;
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      this.delayed.delete(key);
      this.addString(key);
    }, ms);
    this.delayed.set(key, { at, timer });
  }

  private pump(): void {
    while (this.started && !this.stopping && this.processing.size < this.options.workers) {
      const key = this.ready.shift();
      if (key === undefined) return;
      this.queued.delete(key);
      this.processing.add(key);
      const run = this.process(key).finally(() => {
        this.inflight.delete(run);
        this.processing.delete(key);
        if (this.dirty.delete(key)) this.addString(key);
        this.pump();
      });
      this.inflight.add(run);
    }
  }

  private async process(key: string): Promise<void> {
    const { reconciler, logger, observer, backoff } = this.options;
    const log = logger.child({ reconciler: reconciler.name, key });
    const started = process.hrtime.bigint();
    const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
    try {
      const result = await reconciler.reconcile(parseKey(key), this.abort.signal);
      this.failures.delete(key);
      const after = result?.requeueAfterMs;
      if (after !== undefined) this.addStringAfter(key, after);
      const outcome: ReconcileOutcome = after === undefined ? 'success' : 'requeue';
      observer?.reconciled(outcome, seconds());
      log.debug({ outcome, seconds: seconds(), requeueAfterMs: after }, 'reconciled');
    } catch (err) {
      observer?.reconciled('error', seconds());
      if (this.stopping) {
        log.warn({ err }, 'reconcile failed during shutdown; not retried here');
        return;
      }
      const failures = (this.failures.get(key) ?? 0) + 1;
      this.failures.set(key, failures);
      const delayMs = backoffDelay(failures, backoff);
      observer?.retried();
      log.warn({ err, failures, delayMs }, 'reconcile failed; retrying after backoff');
      this.addStringAfter(key, delayMs);
    }
  }
}
