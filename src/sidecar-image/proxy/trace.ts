import { randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** The trace a request belongs to and the proxy's own span in it. */
export interface SpanContext {
  traceId: string;
  /** The proxy's span, which becomes the parent of the upstream's. */
  spanId: string;
  parentSpanId: string | undefined;
  sampled: boolean;
}

// IDs come from a pooled random buffer: one randomBytes call per 512 span IDs
// instead of one per request (it showed in the request path's CPU profile).
let pool = Buffer.alloc(0);
let offset = 0;
function hex(bytes: number): string {
  if (offset + bytes > pool.length) {
    pool = randomBytes(4_096);
    offset = 0;
  }
  offset += bytes;
  return pool.toString('hex', offset - bytes, offset);
}
/** Lower-case hex digits only. */
function isHex(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

/** Hex and not all zeros (an all-zero ID is invalid in both formats). */
function isId(s: string, from: number, to: number): boolean {
  if (!isHex(s, from, to)) return false;
  for (let i = from; i < to; i++) if (s.charCodeAt(i) !== 48) return true;
  return false;
}

/** `00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>`, checked without a regular expression. */
function validTraceparent(tp: string): boolean {
  return (
    tp.length === 55 &&
    tp.charCodeAt(0) === 48 &&
    tp.charCodeAt(1) === 48 &&
    tp[2] === '-' &&
    tp[35] === '-' &&
    tp[52] === '-' &&
    isId(tp, 3, 35) &&
    isId(tp, 36, 52) &&
    isHex(tp, 53, 55)
  );
}

/**
 * Joins the caller's trace (W3C traceparent first, then B3) or starts one,
 * sampled at `samplingPercent`; the proxy adds a span of its own.
 */
export function joinTrace(
  headers: IncomingHttpHeaders,
  samplingPercent: number,
  random = Math.random,
): SpanContext {
  const tp = headers.traceparent;
  if (typeof tp === 'string' && validTraceparent(tp)) {
    return {
      traceId: tp.slice(3, 35),
      spanId: hex(8),
      parentSpanId: tp.slice(36, 52),
      sampled: (Number.parseInt(tp.slice(53), 16) & 1) === 1,
    };
  }
  const b3Trace = headers['x-b3-traceid'];
  if (typeof b3Trace === 'string' && /^([0-9a-f]{16}|[0-9a-f]{32})$/.test(b3Trace)) {
    const span = headers['x-b3-spanid'];
    return {
      traceId: b3Trace.padStart(32, '0'),
      spanId: hex(8),
      parentSpanId: typeof span === 'string' ? span : undefined,
      sampled: headers['x-b3-sampled'] === '1' || headers['x-b3-flags'] === '1',
    };
  }
  return {
    traceId: hex(16),
    spanId: hex(8),
    parentSpanId: undefined,
    sampled: random() * 100 < samplingPercent,
  };
}

/**
 * The headers that carry the trace upstream, in both formats, so an app that
 * speaks either (or forwards only one) keeps the trace whole.
 */
export function traceHeaders(span: SpanContext): Record<string, string> {
  const fields: string[] = [];
  pushTraceFields(fields, span);
  const out: Record<string, string> = {};
  for (let i = 0; i < fields.length; i += 2) out[fields[i] as string] = fields[i + 1] as string;
  return out;
}

/** The same headers as HTTP/1.1 field lines ("name: value\r\n" each). */
export function traceFieldLines(span: SpanContext): string {
  const parent = span.parentSpanId ? `x-b3-parentspanid: ${span.parentSpanId}\r\n` : '';
  return `traceparent: 00-${span.traceId}-${span.spanId}-${span.sampled ? '01' : '00'}\r\nx-b3-traceid: ${span.traceId}\r\nx-b3-spanid: ${span.spanId}\r\n${parent}x-b3-sampled: ${span.sampled ? '1' : '0'}\r\n`;
}

/** The same headers appended to a raw field list (name, value, ...), with no object in between. */
export function pushTraceFields(fields: string[], span: SpanContext): void {
  fields.push(
    'traceparent',
    `00-${span.traceId}-${span.spanId}-${span.sampled ? '01' : '00'}`,
    'x-b3-traceid',
    span.traceId,
    'x-b3-spanid',
    span.spanId,
  );
  if (span.parentSpanId) fields.push('x-b3-parentspanid', span.parentSpanId);
  fields.push('x-b3-sampled', span.sampled ? '1' : '0');
}
