import type { ProxyContext } from './context.js';
import type { H1Exchange } from './h1/forward.js';
import { endToEndFields, fieldValue, passOn, type RequestHead, requestHeadBytes } from './h1/head.js';
import type { BaseLabels, RequestLabels } from './metrics.js';
import { joinTrace, pushTraceFields, type SpanContext, traceFieldLines } from './trace.js';

/** Trace fields of the caller: replaced by this proxy's own, never forwarded as they came. */
export const traceNames: ReadonlySet<string> = new Set([
  'traceparent',
  'x-b3-traceid',
  'x-b3-spanid',
  'x-b3-parentspanid',
  'x-b3-sampled',
]);

const noTrace = {};

/** Joins the caller's trace (or starts one) from the head's raw fields. */
export function joinHeadTrace(head: RequestHead, samplingPercent: number): SpanContext {
  const h = head.headers;
  const traceparent = fieldValue(h, 'traceparent');
  const b3 = fieldValue(h, 'x-b3-traceid');
  if (traceparent === undefined && b3 === undefined) return joinTrace(noTrace, samplingPercent);
  return joinTrace(
    {
      traceparent,
      'x-b3-traceid': b3,
      'x-b3-spanid': fieldValue(h, 'x-b3-spanid'),
      'x-b3-sampled': fieldValue(h, 'x-b3-sampled'),
      'x-b3-flags': fieldValue(h, 'x-b3-flags'),
    },
    samplingPercent,
  );
}

/**
 * A request head passed on with this proxy's trace fields in place of the caller's (and without
 * the fields in `drop`, trace fields among them).
 */
export function tracedRequestHead(head: RequestHead, span: SpanContext, drop: ReadonlySet<string>): Buffer {
  return (
    passOn(head, traceFieldLines(span), drop) ??
    requestHeadBytes(head, withTraceFields(endToEndFields(head.headers, drop), span))
  );
}

/** Appends the span's trace fields (W3C and B3) to a field list. */
export function withTraceFields(fields: string[], span: SpanContext): string[] {
  pushTraceFields(fields, span);
  return fields;
}

/**
 * The request labels of one connection (or one connection's destination) for each response code
 * and flag, made once: the golden metrics are updated four times per request with them.
 */
export class ExchangeLabels {
  readonly #byStatus = new Map<number, Map<string, RequestLabels>>();
  constructor(readonly base: BaseLabels) {}

  of(status: number, flag: string): RequestLabels {
    let byFlag = this.#byStatus.get(status);
    if (!byFlag) {
      byFlag = new Map();
      this.#byStatus.set(status, byFlag);
    }
    let labels = byFlag.get(flag);
    if (!labels) {
      labels = { ...this.base, response_code: String(status), response_flags: flag };
      byFlag.set(flag, labels);
    }
    return labels;
  }
}

/** A connection's labels with each destination's fields filled in (outbound), made once per destination. */
export class DestinationLabels {
  readonly none: ExchangeLabels;
  readonly #byService = new Map<string, Map<string, Map<string, ExchangeLabels>>>();
  constructor(readonly base: BaseLabels) {
    this.none = new ExchangeLabels(base);
  }

  of(service: string, workload: string, tls: 'mtls' | 'none'): ExchangeLabels {
    let byWorkload = this.#byService.get(service);
    if (!byWorkload) {
      byWorkload = new Map();
      this.#byService.set(service, byWorkload);
    }
    let byTls = byWorkload.get(workload);
    if (!byTls) {
      byTls = new Map();
      byWorkload.set(workload, byTls);
    }
    let labels = byTls.get(tls);
    if (!labels) {
      labels = new ExchangeLabels({
        ...this.base,
        destination_service: service,
        destination_workload: workload,
        tls,
      });
      byTls.set(tls, labels);
    }
    return labels;
  }
}

export interface ReportOptions {
  labels: ExchangeLabels;
  span: SpanContext | undefined;
  /** host:port the request went to, '-' when it went nowhere. */
  upstream: string;
  accessLog: boolean;
}

/** The golden metrics, the span and the access log line of one finished engine exchange. */
export function reportH1Exchange(ctx: ProxyContext, e: H1Exchange, o: ReportOptions): void {
  const labels = o.labels.of(e.status, e.flag);
  const m = ctx.metrics;
  const now = performance.now();
  const elapsed = now - e.startedMs;
  m.requests.inc(labels);
  m.requestDuration.observe(labels, elapsed / 1000);
  m.requestBytes.inc(labels, e.requestBytes);
  m.responseBytes.inc(labels, e.responseBytes);
  const span = o.span;
  const req = e.request;
  if (span?.sampled && ctx.spans.enabled) {
    ctx.spans.record({
      traceId: span.traceId,
      spanId: span.spanId,
      parentSpanId: span.parentSpanId,
      name: labels.destination_service,
      kind: labels.direction === 'inbound' ? 2 : 3,
      startMs: performance.timeOrigin + e.startedMs,
      endMs: performance.timeOrigin + now,
      attributes: {
        'http.request.method': req.method,
        'url.path': req.target,
        'http.response.status_code': e.status,
        'server.address': o.upstream,
        'trellis.response_flags': e.flag,
      },
      error: e.flag !== '-' || e.status >= 500,
    });
  }
  if (o.accessLog) {
    ctx.log.info(
      {
        type: 'access',
        direction: labels.direction,
        method: req.method,
        path: req.target,
        authority: fieldValue(req.headers, 'host'),
        status: labels.response_code,
        flags: e.flag,
        durationMs: Math.round(elapsed * 1000) / 1000,
        requestBytes: e.requestBytes,
        responseBytes: e.responseBytes,
        upstream: o.upstream,
        source: labels.source_workload,
        destination: labels.destination_service,
        traceId: span?.traceId,
        spanId: span?.spanId,
      },
      'access',
    );
  }
}
