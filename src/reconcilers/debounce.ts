export interface DebounceOptions {
  /** Quiet time after the last change before the key is handed on. */
  trailingMs: number;
  /** A key changing without pause is still handed on this long after its first change. */
  maxWaitMs: number;
}

/** 100 ms coalesces a burst of endpoint updates; 1 s bounds how stale a config can get under churn. */
export const proxyConfigDebounce: DebounceOptions = { trailingMs: 100, maxWaitMs: 1000 };

/**
 * The same for identities: a Deployment scaling up sends several events per pod (created, scheduled,
 * started), each once meant a reconcile of its namespace. A new pod waits at most 1 s longer for its
 * Certificate, well under what cert-manager takes to issue one.
 */
export const identityDebounce: DebounceOptions = { trailingMs: 100, maxWaitMs: 1000 };

/**
 * Coalesces bursts of changes per key: a key is handed to `fire` once the changes pause for
 * `trailingMs`, and at most `maxWaitMs` after the first change of the burst. The operator runtime's
 * event handlers call `notify` and pass the work queue's `add` as `fire`.
 */
export class Debouncer {
  readonly #pending = new Map<string, { first: number; timer: NodeJS.Timeout }>();

  constructor(
    private readonly fire: (key: string) => void,
    private readonly options: DebounceOptions = proxyConfigDebounce,
  ) {}

  notify(key: string): void {
    const now = Date.now();
    const pending = this.#pending.get(key);
    if (pending) clearTimeout(pending.timer);
    const first = pending?.first ?? now;
    const due = Math.min(now + this.options.trailingMs, first + this.options.maxWaitMs);
    const timer = setTimeout(
      () => {
        this.#pending.delete(key);
        this.fire(key);
      },
      Math.max(0, due - now),
    );
    this.#pending.set(key, { first, timer });
  }

  /** Keys waiting to fire. */
  get size(): number {
    return this.#pending.size;
  }

  /** Drops every pending key without firing (shutdown, lost leadership). */
  cancel(): void {
    for (const { timer } of this.#pending.values()) clearTimeout(timer);
    this.#pending.clear();
  }
}
