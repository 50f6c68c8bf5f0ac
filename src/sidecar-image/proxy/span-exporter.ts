import type { Logger } from 'pino';

/** A finished proxy span, as the HTTP path records it. */
export interface FinishedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  name: string;
  /** 2: SERVER (inbound), 3: CLIENT (outbound), as OTLP numbers them. */
  kind: 2 | 3;
  startMs: number;
  endMs: number;
  attributes: Record<string, string | number>;
  error: boolean;
}

const maxQueue = 2_048;
const maxBatch = 512;

/**
 * Sends sampled spans to an OTLP/HTTP traces endpoint as JSON, in batches,
 * off the request path. The queue is bounded: when the collector is slow or
 * down, spans are dropped (and counted) rather than piling up in memory.
 */
export class SpanExporter {
  #endpoint: string | undefined;
  #queue: FinishedSpan[] = [];
  #timer: NodeJS.Timeout | undefined;
  #sending = false;
  dropped = 0;

  constructor(
    private readonly log: Logger,
    private readonly resource: Record<string, string>,
    private readonly flushMs = 1_000,
  ) {}

  setEndpoint(endpoint: string | undefined): void {
    this.#endpoint = endpoint;
    if (!endpoint) this.#queue = [];
  }

  get enabled(): boolean {
    return this.#endpoint !== undefined;
  }

  record(span: FinishedSpan): void {
    if (!this.#endpoint) return;
    if (this.#queue.length >= maxQueue) {
      this.dropped++;
      return;
    }
    this.#queue.push(span);
    if (this.#queue.length >= maxBatch) void this.flush();
    else if (!this.#timer) {
      this.#timer = setTimeout(() => void this.flush(), this.flushMs);
      this.#timer.unref();
    }
  }

  /** Sends what is queued; one request at a time. */
  async flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const endpoint = this.#endpoint;
    if (this.#sending || !endpoint || this.#queue.length === 0) return;
    const batch = this.#queue.splice(0, maxBatch);
    this.#sending = true;
    try {
      const res = await fetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(otlpBody(batch, this.resource)),
        signal: AbortSignal.timeout(5_000),
      });
      if (!res.ok) throw new Error(`collector answered ${res.status}`);
      await res.arrayBuffer();
    } catch (err) {
      this.dropped += batch.length;
      this.log.warn({ err: (err as Error).message, spans: batch.length }, 'span export failed');
    } finally {
      this.#sending = false;
    }
    if (this.#queue.length > 0) void this.flush();
  }
}

const nanos = (ms: number) => (BigInt(Math.round(ms * 1_000)) * 1_000n).toString();
const attr = (key: string, v: string | number) =>
  typeof v === 'number' ? { key, value: { intValue: String(v) } } : { key, value: { stringValue: v } };

/** The OTLP/JSON ExportTraceServiceRequest for `spans` (IDs hex-encoded, times in Unix nanoseconds). */
export function otlpBody(spans: FinishedSpan[], resource: Record<string, string>) {
  return {
    resourceSpans: [
      {
        resource: { attributes: Object.entries(resource).map(([k, v]) => attr(k, v)) },
        scopeSpans: [
          {
            scope: { name: 'trellis-proxy' },
            spans: spans.map((s) => ({
              traceId: s.traceId,
              spanId: s.spanId,
              ...(s.parentSpanId ? { parentSpanId: s.parentSpanId } : {}),
              name: s.name,
              kind: s.kind,
              startTimeUnixNano: nanos(s.startMs),
              endTimeUnixNano: nanos(s.endMs),
              attributes: Object.entries(s.attributes).map(([k, v]) => attr(k, v)),
              status: { code: s.error ? 2 : 1 },
            })),
          },
        ],
      },
    ],
  };
}
