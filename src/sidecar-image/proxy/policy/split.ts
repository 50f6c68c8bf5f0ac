/**
 * Smooth weighted round robin (nginx's algorithm), deterministic: each pick adds every choice's
 * weight to its running score, takes the highest score (the first on a tie) and subtracts the total
 * from it. Over every `total / gcd` picks each choice is taken exactly in proportion to its weight,
 * and picks of one choice are spread out rather than bunched: 90/10 gives 9 and 1 in every 10
 * requests, never 10 in a row to the canary. No allocation per pick.
 */
export class WeightedSplit {
  readonly #weights: Int32Array;
  readonly #scores: Int32Array;
  readonly #total: number;

  constructor(weights: readonly number[]) {
    this.#weights = Int32Array.from(weights);
    this.#scores = new Int32Array(weights.length);
    this.#total = weights.reduce((a, b) => a + b, 0);
  }

  /** The index of the next choice, or -1 when every weight is 0. */
  next(): number {
    if (this.#total <= 0) return -1;
    if (this.#weights.length === 1) return 0;
    let best = -1;
    let bestScore = 0;
    for (let i = 0; i < this.#weights.length; i++) {
      const w = this.#weights[i] as number;
      if (w === 0) continue;
      const s = (this.#scores[i] as number) + w;
      this.#scores[i] = s;
      if (best < 0 || s > bestScore) {
        best = i;
        bestScore = s;
      }
    }
    this.#scores[best] = bestScore - this.#total;
    return best;
  }
}
