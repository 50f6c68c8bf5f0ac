/** Per-attempt delays that double from `baseMs` and never exceed `capMs` (client-go's exponential rate limiter). */
export interface Backoff {
  baseMs: number;
  capMs: number;
}

/** The delay before retry number `failures` (1 = the first retry). */
export function backoffDelay(failures: number, { baseMs, capMs }: Backoff): number {
  if (failures < 1) return 0;
  // 2 ** 1024 is Infinity, so the exponent is clamped before it can overflow.
  const exponent = Math.min(failures - 1, 52);
  return Math.min(capMs, baseMs * 2 ** exponent);
}
