import { runningPods } from '../test/e2e/mesh/deploy.js';
import type { Tally } from '../test/e2e/mesh/driver.js';
import { loadgenControlPort } from '../test/e2e/mesh/sample.js';
import { type EdgeCounts, type EdgeStat, edgeStats, formatTable, scrape } from '../test/e2e/mesh/stat.js';

/**
 * The demo's live table: every few seconds, scrape the sample's proxies and
 * show per-edge rate, success, latency and mTLS (stat.ts), plus which
 * payments version answered the loadgen's requests (the canary split).
 */

export interface Frame {
  at: Date;
  seconds: number;
  /** Edges that carried requests in the window. */
  stats: EdgeStat[];
  /** The loadgen's answered requests in the window by the tier that answered (`payments v2`). */
  leaves: Record<string, number>;
}

/** One refresh of the table as text. */
export function renderFrame(frame: Frame): string {
  const lines = [
    `Trellis mesh, last ${frame.seconds.toFixed(0)} s (${frame.at.toISOString().slice(11, 19)} UTC)`,
    '',
  ];
  lines.push(frame.stats.length > 0 ? formatTable(frame.stats) : 'no requests in this window yet');
  const total = Object.values(frame.leaves).reduce((a, b) => a + b, 0);
  if (total > 0) {
    const shares = Object.entries(frame.leaves)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([leaf, n]) => `${leaf} ${((100 * n) / total).toFixed(1)}%`);
    lines.push('', `answered by: ${shares.join(' · ')} (of ${total} loadgen requests)`);
  }
  return lines.join('\n');
}

/** Counts in `after` minus those in `before` (a counter that went down counts whole). */
export function leafDelta(
  before: Record<string, number>,
  after: Record<string, number>,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [leaf, n] of Object.entries(after)) {
    const d = n - (before[leaf] ?? 0);
    const delta = d < 0 ? n : d;
    if (delta > 0) out[leaf] = delta;
  }
  return out;
}

interface Reading {
  at: number;
  counts: Map<string, EdgeCounts>;
  leaves: Record<string, number>;
}

async function read(kubeconfig: string, namespace: string): Promise<Reading> {
  const pods = await runningPods(kubeconfig, namespace);
  const counts = await scrape(pods.map((p) => p.status?.podIP ?? ''));
  const loadgen = pods.find((p) => p.metadata?.labels?.app === 'loadgen');
  let leaves: Record<string, number> = {};
  if (loadgen) {
    try {
      const res = await fetch(`http://${loadgen.status?.podIP}:${loadgenControlPort}/stats`, {
        signal: AbortSignal.timeout(2_000),
      });
      if (res.ok) leaves = ((await res.json()) as Tally).leaves;
    } catch {
      // A loadgen restarting leaves the split line out of this frame.
    }
  }
  return { at: Date.now(), counts, leaves };
}

/**
 * Prints a frame every `refreshSeconds` until `signal` aborts or `maxFrames`
 * have been shown; resolves with the last frame.
 */
export async function runTable(opts: {
  kubeconfig: string;
  namespace: string;
  refreshSeconds: number;
  maxFrames: number;
  signal: AbortSignal;
  print: (frame: Frame) => void;
}): Promise<Frame | undefined> {
  let previous = await read(opts.kubeconfig, opts.namespace);
  let last: Frame | undefined;
  for (let i = 0; i < opts.maxFrames && !opts.signal.aborted; i++) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, opts.refreshSeconds * 1000);
      opts.signal.addEventListener(
        'abort',
        () => {
          clearTimeout(timer);
          resolve();
        },
        { once: true },
      );
    });
    if (opts.signal.aborted) break;
    const now = await read(opts.kubeconfig, opts.namespace);
    const seconds = (now.at - previous.at) / 1000;
    last = {
      at: new Date(now.at),
      seconds,
      stats: edgeStats(previous.counts, now.counts, seconds).filter((s) => s.requests > 0),
      leaves: leafDelta(previous.leaves, now.leaves),
    };
    opts.print(last);
    previous = now;
  }
  return last;
}

/** Why a `--for` run fails: no edge carried traffic, or one carried it without mTLS. Undefined when it passed. */
export function verdict(frame: Frame | undefined): string | undefined {
  if (!frame || frame.stats.length === 0) return 'no requests went through the mesh in the last window';
  const plain = frame.stats.filter((s) => s.tls !== 'mtls');
  if (plain.length > 0)
    return `edges without mTLS: ${plain.map((s) => `${s.source} → ${s.destination}`).join(', ')}`;
  return undefined;
}
