/**
 * A bounded traffic driver: a batch of N requests at most C at a time, or a
 * steady rate for at most a given time. It tallies what came back: status
 * codes, the proxy's response flags, which leaf of the sample chain answered
 * (`payments v2`), and client-side errors, so a scenario can assert on
 * shares (a 90/10 split, no failed request during a rotation).
 */

export interface Tally {
  total: number;
  ok: number;
  failed: number;
  /** Response status → count; `error` for requests that got no response. */
  statuses: Record<string, number>;
  /** The deepest tier that answered (`payments v2`) → count, from the sample apps' nested replies. */
  leaves: Record<string, number>;
  /** `x-trellis-response-flags` → count (UF, UH, UO, FI, …). */
  flags: Record<string, number>;
  /** Client-side errors (timeouts, resets) → count, by message. */
  errors: Record<string, number>;
  /** Steady mode: ticks skipped because `maxInFlight` requests were outstanding. */
  skipped: number;
  /** The fastest and slowest request that got a response, in milliseconds (0 before any). */
  minMs: number;
  maxMs: number;
}

export const emptyTally = (): Tally => ({
  total: 0,
  ok: 0,
  failed: 0,
  statuses: {},
  leaves: {},
  flags: {},
  errors: {},
  skipped: 0,
  minMs: 0,
  maxMs: 0,
});

interface Nested {
  service?: unknown;
  version?: unknown;
  upstream?: unknown;
}

/** `payments v2` for a reply whose innermost `upstream` is payments v2; undefined for a body of another shape. */
export function leafOf(body: unknown): string | undefined {
  let node = body as Nested | undefined;
  if (typeof node !== 'object' || node === null || typeof node.service !== 'string') return undefined;
  for (let depth = 0; depth < 16 && typeof node?.upstream === 'object' && node.upstream !== null; depth++)
    node = node.upstream as Nested;
  return typeof node?.service === 'string'
    ? `${node.service} ${String(node.version ?? '')}`.trim()
    : undefined;
}

const bump = (map: Record<string, number>, key: string) => {
  map[key] = (map[key] ?? 0) + 1;
};

export interface RequestOptions {
  url: string;
  headers?: Record<string, string>;
  timeoutMs: number;
}

/** One request, recorded into `tally`. Never throws. */
export async function requestOnce(opts: RequestOptions, tally: Tally): Promise<void> {
  tally.total += 1;
  const started = performance.now();
  try {
    const res = await fetch(opts.url, {
      headers: opts.headers ?? {},
      signal: AbortSignal.timeout(opts.timeoutMs),
    });
    const text = await res.text();
    const ms = performance.now() - started;
    tally.minMs = tally.minMs === 0 ? ms : Math.min(tally.minMs, ms);
    tally.maxMs = Math.max(tally.maxMs, ms);
    bump(tally.statuses, String(res.status));
    const flags = res.headers.get('x-trellis-response-flags');
    if (flags) bump(tally.flags, flags);
    if (res.ok) tally.ok += 1;
    else tally.failed += 1;
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    const leaf = leafOf(body);
    if (leaf && res.ok) bump(tally.leaves, leaf);
  } catch (err) {
    tally.failed += 1;
    bump(tally.statuses, 'error');
    bump(tally.errors, err instanceof Error ? `${err.name}: ${err.message}` : String(err));
  }
}

export interface BatchOptions extends RequestOptions {
  count: number;
  concurrency: number;
}

/** `count` requests, `concurrency` at a time; resolves with the tally when all have finished. */
export async function runBatch(opts: BatchOptions): Promise<Tally> {
  const tally = emptyTally();
  let next = 0;
  const worker = async () => {
    while (next < opts.count) {
      next += 1;
      await requestOnce(opts, tally);
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.concurrency, opts.count) }, worker));
  return tally;
}

export interface SteadyOptions extends RequestOptions {
  /** Requests per second. */
  rate: number;
  /** The driver stops by itself after this long. */
  durationMs: number;
  /** A tick finding this many requests outstanding is skipped (and counted), so a stall cannot pile up requests. */
  maxInFlight: number;
}

export interface Steady {
  /** What came back since the start or the last reset (a copy). */
  tally: () => Tally;
  reset: () => void;
  /** Stops sending and waits for the requests in flight. */
  stop: () => Promise<void>;
  /** Resolves when the driver has stopped, by `stop` or at the end of `durationMs`. */
  done: Promise<void>;
}

/** Sends at a steady rate until stopped or `durationMs` has passed. */
export function startSteady(opts: SteadyOptions): Steady {
  let tally = emptyTally();
  const inFlight = new Set<Promise<void>>();
  let finish: () => void = () => {};
  const ended = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const tick = setInterval(
    () => {
      if (inFlight.size >= opts.maxInFlight) {
        tally.skipped += 1;
        return;
      }
      const p = requestOnce(opts, tally).finally(() => inFlight.delete(p));
      inFlight.add(p);
    },
    Math.max(1, Math.round(1000 / opts.rate)),
  );
  const timer = setTimeout(() => finish(), opts.durationMs);
  const done = ended.then(async () => {
    clearInterval(tick);
    clearTimeout(timer);
    await Promise.all(inFlight);
  });
  return {
    tally: () => structuredClone(tally),
    reset: () => {
      tally = emptyTally();
    },
    stop: async () => {
      finish();
      await done;
    },
    done,
  };
}
