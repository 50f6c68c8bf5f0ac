/**
 * A count over the last `windowMs`, in `buckets` slots: adding and reading are O(buckets) with no
 * allocation, and the window slides a bucket at a time (so it is exact to within windowMs/buckets).
 * Time comes from the caller, in milliseconds, so tests drive it exactly.
 */
export class SlidingCount {
  readonly #counts: Float64Array;
  readonly #epochs: Float64Array;
  readonly #bucketMs: number;

  constructor(windowMs: number, buckets = 10) {
    this.#bucketMs = Math.max(1, windowMs / buckets);
    this.#counts = new Float64Array(buckets);
    this.#epochs = new Float64Array(buckets).fill(-1);
  }

  add(nowMs: number, n = 1): void {
    const epoch = Math.floor(nowMs / this.#bucketMs);
    const i = epoch % this.#counts.length;
    if (this.#epochs[i] !== epoch) {
      this.#epochs[i] = epoch;
      this.#counts[i] = 0;
    }
    this.#counts[i] = (this.#counts[i] as number) + n;
  }

  /** The sum of the buckets still inside the window ending at `nowMs`. */
  total(nowMs: number): number {
    const epoch = Math.floor(nowMs / this.#bucketMs);
    const oldest = epoch - this.#counts.length + 1;
    let sum = 0;
    for (let i = 0; i < this.#counts.length; i++) {
      const e = this.#epochs[i] as number;
      if (e >= oldest && e <= epoch) sum += this.#counts[i] as number;
    }
    return sum;
  }
}
