import { type Agent, type IncomingMessage, request, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ProxyContext } from './context.js';
import type { RequestLabels } from './metrics.js';
import { isEstablished } from './pools.js';
import { splice } from './splice.js';
import { joinTrace, traceHeaders } from './trace.js';

/** Where a request goes and how it is labelled. */
export interface HttpUpstream {
  agent: Agent;
  host: string;
  port: number;
  labels: Omit<RequestLabels, 'response_code' | 'response_flags'>;
  release: () => void;
}

/** Headers that describe one hop's connection, never forwarded (RFC 9110 §7.6.1). */
const hopByHop = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'proxy-authorization',
]);
const traceNames = new Set([
  'traceparent',
  'x-b3-traceid',
  'x-b3-spanid',
  'x-b3-parentspanid',
  'x-b3-sampled',
]);

/** Raw headers (name, value, name, value...) minus hop-by-hop ones, those `Connection` names, and `drop`. */
export function endToEnd(
  raw: string[],
  drop: ReadonlySet<string> = new Set(),
  keepUpgrade = false,
): string[] {
  const named = new Set<string>();
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]?.toLowerCase() === 'connection') {
      for (const t of (raw[i + 1] ?? '').split(',')) named.add(t.trim().toLowerCase());
    }
  }
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] ?? '';
    const lower = name.toLowerCase();
    const upgradeHeader = keepUpgrade && (lower === 'upgrade' || lower === 'connection');
    if (!upgradeHeader && (hopByHop.has(lower) || named.has(lower) || drop.has(lower))) continue;
    out.push(name, raw[i + 1] ?? '');
  }
  return out;
}

/** Why a request failed, as HTTP status and Envoy-style response flag. */
function failure(err: NodeJS.ErrnoException, connected: boolean): { status: number; flag: string } {
  if (!connected) return { status: 503, flag: 'UF' };
  return { status: err.code === 'ECONNRESET' || err.code === 'EPIPE' ? 502 : 503, flag: 'UC' };
}

const safe = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Proxies one request: streams the body up, the response down, joins or
 * starts the trace, and records the golden metrics when the response ends.
 * A stale pooled connection that resets before answering a bodiless safe
 * request is retried once on a fresh one (keep-alive races are not failures).
 */
export function forwardRequest(
  ctx: ProxyContext,
  req: IncomingMessage,
  res: ServerResponse,
  up: HttpUpstream,
  samplingPercent: number,
  accessLog: boolean,
): void {
  const started = performance.now();
  const span = joinTrace(req.headers, samplingPercent);
  const trace = traceHeaders(span);
  const headers = endToEnd(req.rawHeaders, traceNames);
  for (const [k, v] of Object.entries(trace)) headers.push(k, v);
  let requestBytes = 0;
  let responseBytes = 0;
  let flag = '-';
  let finished = false;
  req.on('data', (c: Buffer) => (requestBytes += c.length));

  const finish = () => {
    if (finished) return;
    finished = true;
    up.release();
    const labels: RequestLabels = {
      ...up.labels,
      response_code: res.headersSent ? String(res.statusCode) : '0',
      response_flags: res.writableFinished ? flag : flag === '-' ? 'DC' : flag,
    };
    const m = ctx.metrics;
    m.requests.inc(labels);
    m.requestDuration.observe(labels, (performance.now() - started) / 1000);
    m.requestBytes.inc(labels, requestBytes);
    m.responseBytes.inc(labels, responseBytes);
    if (span.sampled && ctx.spans.enabled) {
      ctx.spans.record({
        traceId: span.traceId,
        spanId: span.spanId,
        parentSpanId: span.parentSpanId,
        name: labels.destination_service,
        kind: labels.direction === 'inbound' ? 2 : 3,
        startMs: performance.timeOrigin + started,
        endMs: performance.timeOrigin + performance.now(),
        attributes: {
          'http.request.method': req.method ?? '',
          'url.path': req.url ?? '',
          'http.response.status_code': Number(labels.response_code),
          'server.address': `${up.host}:${up.port}`,
          'trellis.response_flags': labels.response_flags,
        },
        error: labels.response_flags !== '-' || Number(labels.response_code) >= 500,
      });
    }
    if (accessLog) {
      ctx.log.info(
        {
          type: 'access',
          direction: labels.direction,
          method: req.method,
          path: req.url,
          authority: req.headers.host,
          status: labels.response_code,
          flags: labels.response_flags,
          durationMs: Math.round((performance.now() - started) * 1000) / 1000,
          requestBytes,
          responseBytes,
          upstream: `${up.host}:${up.port}`,
          source: labels.source_workload,
          destination: labels.destination_service,
          traceId: span.traceId,
          spanId: span.spanId,
        },
        'access',
      );
    }
  };
  res.once('close', finish);

  const send = (retried: boolean) => {
    const upReq = request({
      agent: up.agent,
      host: up.host,
      port: up.port,
      method: req.method,
      path: req.url,
      headers,
      setHost: false,
    });
    let socket: Duplex | undefined;
    upReq.once('socket', (s) => (socket = s));
    upReq.on('response', (upRes) => {
      res.writeHead(upRes.statusCode ?? 502, endToEnd(upRes.rawHeaders));
      upRes.on('data', (c: Buffer) => (responseBytes += c.length));
      upRes.pipe(res);
      upRes.once('error', () => res.destroy());
      upRes.once('aborted', () => {
        flag = 'UC';
        res.destroy();
      });
    });
    upReq.on('error', (err: NodeJS.ErrnoException) => {
      const bodiless = req.method !== undefined && safe.has(req.method) && req.complete && requestBytes === 0;
      if (!retried && upReq.reusedSocket && err.code === 'ECONNRESET' && bodiless && !res.headersSent) {
        return send(true);
      }
      const f = failure(err, socket !== undefined && isEstablished(socket));
      flag = f.flag;
      ctx.log.debug({ err: err.message, upstream: `${up.host}:${up.port}`, flag }, 'upstream request failed');
      if (res.headersSent) return res.destroy();
      res.writeHead(f.status, { 'content-type': 'text/plain', 'x-trellis-response-flags': f.flag });
      res.end(`upstream ${f.flag === 'UF' ? 'connect failure' : 'reset'}\n`);
    });
    res.once('close', () => {
      if (!res.writableFinished) upReq.destroy();
    });
    if (retried) upReq.end();
    else req.pipe(upReq);
  };
  send(false);
}

/** Answers without an upstream (no route, no endpoint), counted like any request. */
export function answerLocally(
  ctx: ProxyContext,
  res: ServerResponse,
  labels: HttpUpstream['labels'],
  status: number,
  flag: string,
): void {
  res.writeHead(status, { 'content-type': 'text/plain', 'x-trellis-response-flags': flag });
  res.end(`${flag}\n`);
  const l: RequestLabels = { ...labels, response_code: String(status), response_flags: flag };
  ctx.metrics.requests.inc(l);
  ctx.metrics.requestDuration.observe(l, 0);
}

/**
 * An Upgrade (WebSocket and others): replays the request head on a fresh
 * upstream connection, then the two become one byte stream; the upstream's
 * 101 (or refusal) reaches the client as it was sent.
 */
export function forwardUpgrade(
  ctx: ProxyContext,
  req: IncomingMessage,
  client: Duplex,
  head: Buffer,
  upstream: Duplex,
  labels: HttpUpstream['labels'],
  onClose: () => void,
): void {
  const headers = endToEnd(req.rawHeaders, new Set(), true);
  let text = `${req.method} ${req.url} HTTP/1.1\r\n`;
  for (let i = 0; i < headers.length; i += 2) text += `${headers[i]}: ${headers[i + 1]}\r\n`;
  upstream.write(`${text}\r\n`);
  if (head.length > 0) upstream.write(head);
  const tcp = { ...labels, response_flags: '-' };
  ctx.metrics.tcpOpened.inc(tcp);
  splice(client, upstream, (err) => {
    ctx.metrics.tcpClosed.inc({ ...tcp, response_flags: err ? 'UC' : '-' });
    onClose();
  });
}
