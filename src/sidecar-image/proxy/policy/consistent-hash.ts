/**
 * ConsistentHash load balancing by rendezvous (highest-random-weight) hashing: each endpoint scores
 * `mix(hash(key) ^ hash(endpoint))` and the highest score wins. Same key, same endpoint, on every
 * proxy; when an endpoint leaves, only the keys it held move (to their next-best endpoint), and an
 * endpoint joining takes about 1/n of the keys — the property a hash ring gives, without building
 * one. O(endpoints) per pick, no allocation: endpoint hashes are computed at config load.
 */

/** FNV-1a, 32 bits. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** murmur3's finaliser: spreads every input bit over the output, so XOR-ed hashes score evenly. */
function mix(x: number): number {
  let h = x;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export class RendezvousHash {
  readonly #hashes: Uint32Array;

  /** `endpointKeys` identify endpoints stably (their IP), in the order `pick` indexes them. */
  constructor(endpointKeys: readonly string[]) {
    this.#hashes = Uint32Array.from(endpointKeys, fnv1a);
  }

  /** The index of the endpoint for `key` (a header value or the caller's IP), or -1 when there is none. */
  pick(key: string): number {
    const k = fnv1a(key);
    let best = -1;
    let bestScore = -1;
    for (let i = 0; i < this.#hashes.length; i++) {
      const score = mix(k ^ (this.#hashes[i] as number));
      if (score > bestScore) {
        best = i;
        bestScore = score;
      }
    }
    return best;
  }
}

/**
 * The same choice as `RendezvousHash.pick` over a list known only at request time (endpoints filtered
 * by subset and health): hashes each endpoint key on the fly, so nothing is built or kept.
 */
export function rendezvousIndex<T>(items: readonly T[], keyOf: (t: T) => string, key: string): number {
  const k = fnv1a(key);
  let best = -1;
  let bestScore = -1;
  for (let i = 0; i < items.length; i++) {
    const score = mix(k ^ fnv1a(keyOf(items[i] as T)));
    if (score > bestScore) {
      best = i;
      bestScore = score;
    }
  }
  return best;
}
