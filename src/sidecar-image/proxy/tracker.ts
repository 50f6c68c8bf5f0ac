import type { Duplex } from 'node:stream';

interface Tracked {
  /** Asks the connection to finish its current work and close (HTTP: close once idle). */
  drain?: () => void;
}

/**
 * The connections in flight, so a drain can wait for them to finish instead
 * of cutting them, and cut the stragglers after a deadline.
 */
export class ConnectionTracker {
  readonly #live = new Map<Duplex, Tracked>();
  #draining = false;
  #onEmpty: (() => void) | undefined;

  get size(): number {
    return this.#live.size;
  }

  get draining(): boolean {
    return this.#draining;
  }

  add(conn: Duplex, tracked: Tracked = {}): void {
    this.#live.set(conn, tracked);
    conn.once('close', () => {
      this.#live.delete(conn);
      if (this.#live.size === 0) this.#onEmpty?.();
    });
    if (this.#draining) tracked.drain?.();
  }

  /** Resolves when every connection has closed; destroys what is left after `timeoutMs`. */
  drain(timeoutMs: number): Promise<{ forced: number }> {
    this.#draining = true;
    for (const t of this.#live.values()) t.drain?.();
    if (this.#live.size === 0) return Promise.resolve({ forced: 0 });
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        const forced = this.#live.size;
        for (const c of this.#live.keys()) c.destroy();
        resolve({ forced });
      }, timeoutMs);
      this.#onEmpty = () => {
        clearTimeout(timer);
        resolve({ forced: 0 });
      };
    });
  }
}
