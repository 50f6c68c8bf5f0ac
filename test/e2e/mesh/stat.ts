import { metricPrefix, ports } from '../../../src/api/names.js';

/**
 * `linkerd viz stat` for Trellis: scrape each proxy's admin `/metrics` and
 * turn two scrapes into per-edge figures (source workload → destination
 * service): request rate, success rate, p50/p99 latency from the duration
 * histogram, and whether the edge's requests went over mTLS.
 *
 * Edges are taken from the client side (`direction="outbound"`): that is what
 * the caller saw, retries and local answers (faults, ejection) included.
 * Callers outside the mesh have no proxy of their own, so their edges come
 * from the server's inbound metrics (`tls="none"`, source `unknown`).
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Prometheus text exposition → samples. Comments and blank lines are skipped; a malformed line throws naming it. */
export function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s+(\S+)(\s+\d+)?$/.exec(line);
    if (!match) throw new Error(`not a metric line: ${line}`);
    const value = Number(match[3] === '+Inf' ? Infinity : match[3] === '-Inf' ? -Infinity : match[3]);
    if (Number.isNaN(value) && match[3] !== 'NaN') throw new Error(`not a metric line: ${line}`);
    samples.push({ name: match[1] ?? '', labels: parseLabels(match[2] ?? '', line), value });
  }
  return samples;
}

function parseLabels(block: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  const inner = block.slice(1, -1);
  const re = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(,|$)/y;
  let at = 0;
  while (at < inner.length) {
    re.lastIndex = at;
    const m = re.exec(inner);
    if (!m) throw new Error(`bad labels in: ${line}`);
    labels[m[1] ?? ''] = (m[2] ?? '').replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    at = re.lastIndex;
  }
  return labels;
}

/** Cumulative counts of one edge at one moment, summed over the pods that report it. */
export interface EdgeCounts {
  source: string;
  destination: string;
  requests: number;
  /** Requests whose response_code is below 500. */
  successes: number;
  /** By `tls` label value (`mtls`, `none`). */
  byTls: Record<string, number>;
  /** Histogram bucket upper bound (seconds; Infinity last) → cumulative count. */
  buckets: Map<number, number>;
}

const requestsName = `${metricPrefix}requests_total`;
const bucketName = `${metricPrefix}request_duration_seconds_bucket`;

const edgeOf = (l: Record<string, string>) => {
  if (l.direction === 'outbound') {
    return { source: `${l.source_namespace}/${l.source_workload}`, destination: l.destination_service ?? '' };
  }
  // Inbound only for callers without a proxy of their own (their outbound side is nowhere to scrape).
  if (l.direction === 'inbound' && l.tls === 'none') {
    return { source: '(outside the mesh)', destination: l.destination_service ?? '' };
  }
  return undefined;
};

/** Samples of every scraped proxy → cumulative counts per edge. */
export function edgeCounts(samples: Sample[]): Map<string, EdgeCounts> {
  const edges = new Map<string, EdgeCounts>();
  const at = (source: string, destination: string) => {
    const key = `${source} → ${destination}`;
    let edge = edges.get(key);
    if (!edge) {
      edge = { source, destination, requests: 0, successes: 0, byTls: {}, buckets: new Map() };
      edges.set(key, edge);
    }
    return edge;
  };
  for (const s of samples) {
    if (s.name !== requestsName && s.name !== bucketName) continue;
    const e = edgeOf(s.labels);
    if (!e) continue;
    const edge = at(e.source, e.destination);
    if (s.name === requestsName) {
      edge.requests += s.value;
      if (Number(s.labels.response_code ?? 0) < 500) edge.successes += s.value;
      const tls = s.labels.tls ?? 'none';
      edge.byTls[tls] = (edge.byTls[tls] ?? 0) + s.value;
    } else {
      const le = s.labels.le === '+Inf' ? Infinity : Number(s.labels.le);
      edge.buckets.set(le, (edge.buckets.get(le) ?? 0) + s.value);
    }
  }
  return edges;
}

/**
 * The q-quantile of a cumulative histogram, interpolated linearly inside the
 * bucket as Prometheus' histogram_quantile does; the highest finite bound when
 * it falls in the +Inf bucket; undefined with no observations.
 */
export function quantile(q: number, buckets: Map<number, number>): number | undefined {
  const sorted = [...buckets.entries()].sort((a, b) => a[0] - b[0]);
  const total = sorted.at(-1)?.[1] ?? 0;
  if (total <= 0) return undefined;
  const rank = q * total;
  let lowerBound = 0;
  let lowerCount = 0;
  for (const [bound, count] of sorted) {
    if (count >= rank) {
      if (bound === Infinity) return lowerBound;
      if (count === lowerCount) return bound;
      return lowerBound + ((bound - lowerBound) * (rank - lowerCount)) / (count - lowerCount);
    }
    lowerBound = bound;
    lowerCount = count;
  }
  return lowerBound;
}

export interface EdgeStat {
  source: string;
  destination: string;
  /** Requests per second over the window. */
  rps: number;
  requests: number;
  /** 0–1; undefined with no request in the window. */
  successRate: number | undefined;
  p50Ms: number | undefined;
  p99Ms: number | undefined;
  /** `mtls` when every request of the window went over mTLS, `none` when none did, else `mixed`. */
  tls: 'mtls' | 'none' | 'mixed' | '-';
}

/** The figures of each edge between two scrapes `seconds` apart (counter resets count from zero). */
export function edgeStats(
  before: Map<string, EdgeCounts>,
  after: Map<string, EdgeCounts>,
  seconds: number,
): EdgeStat[] {
  const stats: EdgeStat[] = [];
  for (const [key, now] of after) {
    const then = before.get(key);
    // A counter that went down belongs to a restarted proxy: take the new value whole.
    const delta = (a: number, b: number | undefined) => (b === undefined || b > a ? a : a - b);
    const requests = delta(now.requests, then?.requests);
    const successes = delta(now.successes, then?.successes);
    const buckets = new Map([...now.buckets].map(([le, n]) => [le, delta(n, then?.buckets.get(le))]));
    const mtls = delta(now.byTls.mtls ?? 0, then?.byTls.mtls);
    const p50 = quantile(0.5, buckets);
    const p99 = quantile(0.99, buckets);
    stats.push({
      source: now.source,
      destination: now.destination,
      rps: seconds > 0 ? requests / seconds : 0,
      requests,
      successRate: requests > 0 ? successes / requests : undefined,
      p50Ms: p50 === undefined ? undefined : p50 * 1000,
      p99Ms: p99 === undefined ? undefined : p99 * 1000,
      tls: requests === 0 ? '-' : mtls === requests ? 'mtls' : mtls === 0 ? 'none' : 'mixed',
    });
  }
  return stats.sort((a, b) => `${a.source} ${a.destination}`.localeCompare(`${b.source} ${b.destination}`));
}

const fmt = (n: number | undefined, digits: number, suffix = '') =>
  n === undefined ? '-' : `${n.toFixed(digits)}${suffix}`;

/** The live table's text: one row per edge, columns aligned. */
export function formatTable(stats: EdgeStat[]): string {
  const rows = [
    ['SOURCE', 'DESTINATION', 'RPS', 'SUCCESS', 'P50', 'P99', 'TLS'],
    ...stats.map((s) => [
      s.source,
      s.destination,
      fmt(s.rps, 1),
      fmt(s.successRate === undefined ? undefined : s.successRate * 100, 1, '%'),
      fmt(s.p50Ms, 1, 'ms'),
      fmt(s.p99Ms, 1, 'ms'),
      s.tls,
    ]),
  ];
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/**
 * One scrape of the proxies at these pod IPs. A proxy that does not answer
 * within the timeout, or whose text does not parse, is left out of this scrape.
 */
export async function scrape(
  podIPs: string[],
  timeoutMs = 2_000,
  port: number = ports.admin,
): Promise<Map<string, EdgeCounts>> {
  const texts = await Promise.all(
    podIPs.map(async (ip) => {
      try {
        const res = await fetch(`http://${ip}:${port}/metrics`, {
          signal: AbortSignal.timeout(timeoutMs),
        });
        return res.ok ? await res.text() : '';
      } catch {
        return '';
      }
    }),
  );
  return edgeCounts(
    texts.flatMap((t) => {
      try {
        return parseMetrics(t);
      } catch {
        return [];
      }
    }),
  );
}
