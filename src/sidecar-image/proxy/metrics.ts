import {
  Counter,
  type CounterConfiguration,
  Gauge,
  Histogram,
  type HistogramConfiguration,
  type LabelValues,
  Registry,
} from 'prom-client';
import { metricPrefix } from '../../api/names.js';

/**
 * One slot per label set, found by walking nested Maps over the label values in declared order.
 * prom-client instead builds a `name:value,...` string and checks every label name on each call
 * (validateLabel, hashObject, a dictionary-mode property lookup): 4-5% of a proxy's CPU under
 * load, four times per request. Label values from the config are the same string objects every
 * time, so their hashes are cached and the walk costs a few Map lookups.
 */
class LabelCells<T extends string, C> {
  readonly #root = new Map<unknown, unknown>();
  readonly all: { labels: LabelValues<T>; cell: C }[] = [];

  constructor(
    private readonly names: readonly T[],
    private readonly metric: string,
  ) {}

  get(labels: LabelValues<T>, create: () => C): C {
    let node: Map<unknown, unknown> = this.#root;
    const last = this.names.length - 1;
    for (let i = 0; i < last; i++) {
      const value = labels[this.names[i] as T];
      let next = node.get(value) as Map<unknown, unknown> | undefined;
      if (!next) {
        next = new Map();
        node.set(value, next);
      }
      node = next;
    }
    const leaf = labels[this.names[last] as T];
    const found = node.get(leaf) as C | undefined;
    if (found !== undefined) return found;
    // A new label set: checked once here, as prom-client checks every call.
    for (const name of Object.keys(labels)) {
      if (!this.names.includes(name as T))
        throw new Error(`Added label "${name}" is not included in initial labelset of ${this.metric}`);
    }
    const cell = create();
    node.set(leaf, cell);
    this.all.push({ labels: { ...labels }, cell });
    return cell;
  }

  clear(): void {
    this.#root.clear();
    this.all.length = 0;
  }
}

function checkIncrement(value: number): void {
  if (!Number.isFinite(value)) throw new TypeError(`Value is not a valid number: ${value}`);
  if (value < 0) throw new Error('It is not possible to decrease a counter');
}

/**
 * A prom-client Counter whose `inc(labels, n)` only adds to the label set's cell; the sums reach
 * prom-client (through its own inc) when the registry collects, so exposition, get() and every
 * other method behave as prom-client's.
 */
export class CellCounter<T extends string> extends Counter<T> {
  readonly #cells: LabelCells<T, { pending: number }>;
  readonly #plainInc: (labels: LabelValues<T>, value: number) => void;

  constructor(config: CounterConfiguration<T> & { labelNames: readonly T[] }) {
    super({ ...config, collect: () => this.#flush() });
    this.#cells = new LabelCells(config.labelNames, config.name);
    const plain = this.inc.bind(this);
    this.#plainInc = plain;
    // prom-client installs inc as an own property in its constructor, so it is replaced the same way.
    this.inc = ((labels?: LabelValues<T> | number, value?: number) => {
      if (typeof labels !== 'object' || labels === null) return plain(labels);
      const n = value ?? 1;
      checkIncrement(n);
      this.#cells.get(labels, () => ({ pending: 0 })).pending += n;
    }) as Counter<T>['inc'];
  }

  #flush(): void {
    for (const { labels, cell } of this.#cells.all) {
      if (cell.pending === 0) continue;
      this.#plainInc(labels, cell.pending);
      cell.pending = 0;
    }
  }

  override reset(): void {
    super.reset();
    // prom-client's constructor calls reset() before this class's fields exist.
    if (#cells in this) this.#cells.clear();
  }

  override remove(...args: [LabelValues<T>] | string[]): void {
    // Flushed first so the removal also takes what was pending; the cells are remade on demand.
    this.#flush();
    this.#cells.clear();
    (super.remove as (...a: unknown[]) => void).apply(this, args);
  }
}

interface HistogramCell {
  /** Observations per bucket (not cumulative); the last slot is +Inf only. */
  counts: number[];
  sum: number;
  count: number;
}

/**
 * A prom-client Histogram whose `observe(labels, v)` updates the label set's cell directly and
 * whose exposition adds the cells to whatever prom-client itself holds (from labels(), zero()).
 */
export class CellHistogram<T extends string> extends Histogram<T> {
  readonly #cells: LabelCells<T, HistogramCell>;
  readonly #bounds: number[];

  constructor(config: HistogramConfiguration<T> & { labelNames: readonly T[]; buckets: number[] }) {
    super(config);
    this.#bounds = [...config.buckets].sort((a, b) => a - b);
    this.#cells = new LabelCells(config.labelNames, config.name);
    const plain = this.observe.bind(this);
    // As for CellCounter: prom-client's observe is an own property, so it is replaced as one.
    this.observe = ((labels: LabelValues<T> | number, value?: number) => {
      if (typeof labels !== 'object' || labels === null || value === undefined)
        return plain(labels as number);
      if (!Number.isFinite(value)) throw new TypeError(`Value is not a valid number: ${value}`);
      const bounds = this.#bounds;
      const cell = this.#cells.get(labels, () => ({
        counts: new Array(bounds.length + 1).fill(0),
        sum: 0,
        count: 0,
      }));
      let i = 0;
      while (i < bounds.length && value > (bounds[i] as number)) i++;
      cell.counts[i] = (cell.counts[i] ?? 0) + 1;
      cell.sum += value;
      cell.count++;
    }) as Histogram<T>['observe'];
  }

  override reset(): void {
    super.reset();
    // prom-client's constructor calls reset() before this class's fields exist.
    if (#cells in this) this.#cells.clear();
  }

  /** What prom-client renders text from (and get() flattens): its own label sets, then the cells. */
  async getForPromString() {
    const data = await (
      Histogram.prototype as unknown as { getForPromString: () => Promise<PromStringData> }
    ).getForPromString.call(this);
    const name = `${data.name}`;
    for (const { labels, cell } of this.#cells.all) {
      let acc = 0;
      this.#bounds.forEach((le, i) => {
        acc += cell.counts[i] ?? 0;
        data.values.push({ labels: { le }, sharedLabels: labels, value: acc, metricName: `${name}_bucket` });
      });
      const inf = { labels: { le: '+Inf' }, sharedLabels: labels, value: cell.count };
      data.values.push({ ...inf, metricName: `${name}_bucket` });
      data.values.push({ labels: {}, sharedLabels: labels, value: cell.sum, metricName: `${name}_sum` });
      data.values.push({ labels: {}, sharedLabels: labels, value: cell.count, metricName: `${name}_count` });
    }
    return data;
  }
}

/** prom-client's (untyped) histogram data before get() merges sharedLabels into labels. */
interface PromStringData {
  name: string;
  values: {
    labels: Record<string, string | number>;
    sharedLabels: Partial<Record<string, string | number>>;
    value: number;
    metricName: string;
  }[];
}

/** The golden-signal labels of DESIGN.md, plus the response flag on failures. */
export const requestLabels = [
  'direction',
  'source_workload',
  'source_namespace',
  'destination_service',
  'destination_workload',
  'response_code',
  'response_flags',
  'tls',
] as const;
export const tcpLabels = [
  'direction',
  'source_workload',
  'source_namespace',
  'destination_service',
  'destination_workload',
  'response_flags',
  'tls',
] as const;

export type RequestLabels = Record<(typeof requestLabels)[number], string>;
/** How a request is labelled in the golden metrics before its code and flags are known. */
export type BaseLabels = Omit<RequestLabels, 'response_code' | 'response_flags'>;
export type TcpLabels = Record<(typeof tcpLabels)[number], string>;

/** Every metric the proxy exports, in one registry served on the admin port. */
export function createMetrics() {
  const registry = new Registry();
  const p = metricPrefix;
  return {
    registry,
    configReloads: new Counter({
      name: `${p}config_reloads_total`,
      help: 'Proxy config reload attempts by result (success, rejected)',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
    identityReloads: new Counter({
      name: `${p}identity_reloads_total`,
      help: 'Workload certificate reload attempts by result (success, rejected)',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
    identityExpiry: new Gauge({
      name: `${p}identity_cert_expiry_seconds`,
      help: 'Unix time at which the current workload certificate expires',
      registers: [registry],
    }),
    connectionsRefused: new Counter({
      name: `${p}connections_refused_total`,
      help: 'Connections the proxy refused, by direction and reason',
      labelNames: ['direction', 'reason'] as const,
      registers: [registry],
    }),
    httpClientErrors: new Counter({
      name: `${p}http_client_errors_total`,
      help: 'HTTP requests refused before routing: malformed (400), slow (408) or oversized heads (431)',
      labelNames: ['direction', 'response_code'] as const,
      registers: [registry],
    }),
    requests: new CellCounter({
      name: `${p}requests_total`,
      help: 'HTTP requests proxied',
      labelNames: requestLabels,
      registers: [registry],
    }),
    requestDuration: new CellHistogram({
      name: `${p}request_duration_seconds`,
      help: 'HTTP request duration from first byte received to response end',
      labelNames: requestLabels,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    requestBytes: new CellCounter({
      name: `${p}request_bytes_total`,
      help: 'HTTP request body bytes',
      labelNames: requestLabels,
      registers: [registry],
    }),
    responseBytes: new CellCounter({
      name: `${p}response_bytes_total`,
      help: 'HTTP response body bytes',
      labelNames: requestLabels,
      registers: [registry],
    }),
    tcpOpened: new CellCounter({
      name: `${p}tcp_connections_opened_total`,
      help: 'Proxied TCP connections opened',
      labelNames: tcpLabels,
      registers: [registry],
    }),
    tcpClosed: new CellCounter({
      name: `${p}tcp_connections_closed_total`,
      help: 'Proxied TCP connections closed',
      labelNames: tcpLabels,
      registers: [registry],
    }),
    tcpSentBytes: new CellCounter({
      name: `${p}tcp_sent_bytes_total`,
      help: 'Bytes sent towards the destination on proxied connections',
      labelNames: tcpLabels,
      registers: [registry],
    }),
    tcpReceivedBytes: new CellCounter({
      name: `${p}tcp_received_bytes_total`,
      help: 'Bytes received from the destination on proxied connections',
      labelNames: tcpLabels,
      registers: [registry],
    }),
  };
}
export type Metrics = ReturnType<typeof createMetrics>;
