import { rendezvousIndex } from './policy/consistent-hash.js';

export type LbPolicy = 'LEAST_REQUEST' | 'ROUND_ROBIN' | 'RANDOM' | 'CONSISTENT_HASH';

/** A picked endpoint; `release` when the request or connection using it ends. */
export interface Pick<T> {
  target: T;
  release: () => void;
}

/**
 * Endpoint choice for one upstream. Least-request uses power of two choices:
 * draw two endpoints at random and take the one with fewer requests in
 * flight, which avoids herding onto one "least loaded" endpoint that every
 * proxy sees at once. In-flight counts survive config reloads because they
 * are keyed by endpoint address, not by the config object.
 */
export class Balancer {
  readonly #active = new Map<string, number>();
  #next = 0;

  constructor(private readonly random: () => number = Math.random) {}

  /**
   * `hashKey` is CONSISTENT_HASH's key (a header value or the caller's IP): the endpoint is chosen by
   * rendezvous hashing over `keyOf` (the endpoint's IP and port), so the same key lands on the same
   * endpoint on every proxy. Without a key CONSISTENT_HASH falls back to least request.
   */
  pick<T>(
    targets: readonly T[],
    keyOf: (t: T) => string,
    policy: LbPolicy,
    hashKey?: string,
  ): Pick<T> | undefined {
    const n = targets.length;
    if (n === 0) return undefined;
    let target: T;
    if (n === 1) {
      // A retry's only untried endpoint: taking it must not move the round-robin sequence.
      target = targets[0] as T;
    } else if (policy === 'ROUND_ROBIN') {
      target = targets[this.#next++ % n] as T;
    } else if (policy === 'RANDOM') {
      target = targets[Math.floor(this.random() * n)] as T;
    } else if (policy === 'CONSISTENT_HASH' && hashKey !== undefined) {
      target = targets[rendezvousIndex(targets, keyOf, hashKey)] as T;
    } else {
      const i = Math.floor(this.random() * n);
      // The second draw skips i, so the two choices always differ.
      const j = (i + 1 + Math.floor(this.random() * (n - 1))) % n;
      const a = targets[i] as T;
      const b = targets[j] as T;
      target = this.load(keyOf(b)) < this.load(keyOf(a)) ? b : a;
    }
    const key = keyOf(target);
    this.#active.set(key, this.load(key) + 1);
    let released = false;
    return {
      target,
      release: () => {
        if (released) return;
        released = true;
        const left = this.load(key) - 1;
        if (left > 0) this.#active.set(key, left);
        else this.#active.delete(key);
      },
    };
  }

  /** Requests (or connections) in flight to an endpoint. */
  load(key: string): number {
    return this.#active.get(key) ?? 0;
  }
}
