import type { ProxyContext } from './context.js';
import type { H1Exchange } from './h1/forward.js';
import { fieldValues, type RequestHead } from './h1/head.js';
import type { BaseLabels, RequestLabels } from './metrics.js';
import { joinTrace, type SpanContext, traceHeaders } from './trace.js';

/** Trace fields of the caller: replaced by this proxy's own, never forwarded as they came. */
export const traceNames: ReadonlySet<string> = new Set([
  'traceparent',
  'x-b3-traceid',
  'x-b3-spanid',
  'x-b3-parentspanid',
  'x-b3-sampled',
]);

/** Joins the caller's trace (or starts one) from the head's raw fields. */
export function joinHeadTrace(head: RequestHead, samplingPercent: number): SpanContext {
  const first = (name: string) => fieldValues(head.headers, name)[0];
  return joinTrace(
    {
      traceparent: first('traceparent'),
      'x-b3-traceid': first('x-b3-traceid'),
      'x-b3-spanid': first('x-b3-spanid'),
      'x-b3-sampled': first('x-b3-sampled'),
      'x-b3-flags': first('x-b3-flags'),
    },
    samplingPercent,
  );
}

/** Appends the span's trace fields (W3C and B3) to a field list. */
export function withTraceFields(fields: string[], span: SpanContext): string[] {
  for (const [k, v] of Object.entries(traceHeaders(span))) fields.push(k, v);
  return fields;
}

export interface ReportOptions {
  labels: BaseLabels;
  span: SpanContext | undefined;
  /** host:port the request went to, '-' when it went nowhere. */
  upstream: string;
  accessLog: boolean;
}

/** The golden metrics, the span and the access log line of one finished engine exchange. */
export function reportH1Exchange(ctx: ProxyContext, e: H1Exchange, o: ReportOptions): void {
  const labels: RequestLabels = {
    ...o.labels,
    response_code: String(e.status),
    response_flags: e.flag,
  };
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
        authority: fieldValues(req.headers, 'host')[0],
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
