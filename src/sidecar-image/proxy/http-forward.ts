import {
  type Agent,
  type ClientRequest,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  request,
  type ServerResponse,
} from 'node:http';
import type { Duplex } from 'node:stream';
import { BodyReplay } from './body-replay.js';
import type { ProxyContext } from './context.js';
import type { RequestLabels } from './metrics.js';
import type { Overflow } from './policy/circuit-breaker.js';
import { retryBufferLimitBytes } from './policy/defaults.js';
import { joinFlags, type ResponseFlag, responseFlags } from './policy/flags.js';
import type { HeaderEditor } from './policy/header-ops.js';
import type { TryFailure } from './policy/retry.js';
import { isEstablished } from './pools.js';
import type { ConnectionLimits, Transport, TryOutcome, TryTarget } from './request-pipeline.js';
import { splice } from './splice.js';
import { joinTrace, traceHeaders } from './trace.js';

/** How a request is labelled in the golden metrics (the code and flags come at the end). */
export type BaseLabels = Omit<RequestLabels, 'response_code' | 'response_flags'>;

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
  raw: readonly string[],
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

const safe = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Raw headers as Node's header object (names lower case, repeats as arrays), for header edits. */
function headerObject(raw: readonly string[]): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (let i = 0; i < raw.length; i += 2) {
    const name = (raw[i] ?? '').toLowerCase();
    const value = raw[i + 1] ?? '';
    const present = out[name];
    if (present === undefined) out[name] = value;
    else if (Array.isArray(present)) present.push(value);
    else out[name] = [String(present), value];
  }
  return out;
}

function once(f: () => void): () => void {
  let called = false;
  return () => {
    if (called) return;
    called = true;
    f();
  };
}

const failed = (
  failure: TryFailure,
  flag: ResponseFlag,
  status: number,
  answer: (s: number) => void,
  overflow: Overflow = 'none',
): TryOutcome => ({
  status: 0,
  grpcStatus: -1,
  failure,
  flag,
  overflow,
  commit: () => answer(status),
  discard: () => {},
});

/** How long a discarded response (a retry follows) may take to drain before its connection is cut. */
const discardDrainMs = 1_000;

/** Requests each pooled upstream connection has carried, for `maxRequestsPerConnection`. */
const served = new WeakMap<Duplex, number>();

export interface H1ExchangeOptions {
  /** Labels of the request; an outbound exchange takes each try's destination into them. */
  labels: BaseLabels;
  /** Whether each try's target names the destination in the labels (outbound) or not (inbound). */
  relabel: boolean;
  agentFor: (identity: string | undefined) => Agent;
  samplingPercent: number;
  accessLog: boolean;
}

/**
 * One HTTP/1.1 request as the request pipeline's transport: joins or starts the trace, keeps the
 * body for replay, sends tries on pooled connections, relays the chosen response (header edits
 * applied) or answers locally, and records the golden metrics, the span and the access log line
 * with the response flags when the response ends. A stale pooled connection that resets before
 * answering a bodiless safe request is retried once on a fresh one inside the try (keep-alive races
 * are not failures).
 */
export class H1Exchange implements Transport {
  readonly flags: ResponseFlag[] = [];
  readonly #body: BodyReplay;
  readonly #headers: string[];
  readonly #started = performance.now();
  readonly #span: ReturnType<typeof joinTrace>;
  #labels: BaseLabels;
  #upstream = '-';
  #current: ClientRequest | undefined;
  #responseBytes = 0;
  #gone = false;

  constructor(
    private readonly ctx: ProxyContext,
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly o: H1ExchangeOptions,
  ) {
    this.#labels = o.labels;
    this.#span = joinTrace(req.headers, o.samplingPercent);
    this.#headers = endToEnd(req.rawHeaders, traceNames);
    for (const [k, v] of Object.entries(traceHeaders(this.#span))) this.#headers.push(k, v);
    this.#body = new BodyReplay(req, retryBufferLimitBytes);
    res.once('close', () => {
      this.#gone = !res.writableFinished;
      if (this.#gone) this.#current?.destroy();
      this.#finish();
    });
  }

  gone(): boolean {
    return this.#gone;
  }

  bodyReplayable(): boolean {
    return this.#body.replayable;
  }

  tryOnce(
    to: TryTarget,
    edit: HeaderEditor | undefined,
    timeoutMs: number | undefined,
    done: () => void,
    limits?: ConnectionLimits,
  ): Promise<TryOutcome> {
    const end = once(done);
    if (this.o.relabel) {
      this.#labels = {
        ...this.#labels,
        destination_service: to.destinationService,
        destination_workload: to.destinationWorkload,
        tls: to.identity ? 'mtls' : 'none',
      };
    }
    this.#upstream = `${to.host}:${to.port}`;
    let headers: string[] | OutgoingHttpHeaders = this.#headers;
    if (edit && !edit.empty) {
      headers = headerObject(this.#headers);
      edit.apply(headers);
    }
    const answer = (status: number) => this.answer(status, {}, undefined);
    return new Promise((resolve) => {
      const send = (again: boolean) => {
        const upReq = request({
          agent: this.o.agentFor(to.identity),
          host: to.host,
          port: to.port,
          method: this.req.method,
          path: this.req.url,
          headers,
          setHost: false,
        });
        this.#current = upReq;
        let socket: Duplex | undefined;
        let settled = false;
        // The try waits for a connection (pooled, queued or being opened) until its socket is established.
        const pending = limits?.startPending() ?? 'none';
        const endPending = once(() => {
          if (pending === 'none') limits?.endPending();
        });
        if (pending !== 'none') {
          settled = true;
          upReq.destroy();
          end();
          return resolve(failed('none', responseFlags.upstreamOverflow, 503, answer, pending));
        }
        const timer =
          timeoutMs === undefined
            ? undefined
            : setTimeout(() => {
                if (settled) return;
                settled = true;
                endPending();
                this.#body.detach(upReq);
                upReq.destroy();
                end();
                resolve(failed('per-try-timeout', responseFlags.upstreamRequestTimeout, 504, answer));
              }, timeoutMs);
        upReq.once('socket', (s) => {
          socket = s;
          if (isEstablished(s)) endPending();
          else s.once('connect', endPending).once('secureConnect', endPending).once('close', endPending);
          if (!limits) return;
          if (!served.has(s)) {
            // A new connection: counted against the destination that opened it until it closes.
            const opened = limits.openConnection();
            if (opened !== 'none') {
              settled = true;
              clearTimeout(timer);
              endPending();
              upReq.destroy();
              end();
              return resolve(failed('none', responseFlags.upstreamOverflow, 503, answer, opened));
            }
            s.once('close', () => limits.closeConnection());
          }
          const n = (served.get(s) ?? 0) + 1;
          served.set(s, n);
          // The connection's last request: the agent closes it instead of pooling it again.
          if (limits.connectionSpent(n)) upReq.shouldKeepAlive = false;
        });
        upReq.on('response', (upRes) => {
          clearTimeout(timer);
          endPending();
          if (settled) return void upRes.resume();
          settled = true;
          const status = upRes.statusCode ?? 502;
          const grpc = Number(upRes.headers['grpc-status'] ?? -1);
          resolve({
            status,
            grpcStatus: Number.isInteger(grpc) ? grpc : -1,
            failure: 'none',
            flag: responseFlags.none,
            overflow: 'none',
            commit: (resEdit) => this.#relay(upRes, status, resEdit, end),
            discard: () => {
              this.#body.detach(upReq);
              // Drained so the connection can be pooled again; one that keeps streaming is cut.
              const cut = setTimeout(() => upReq.destroy(), discardDrainMs);
              upRes.once('close', () => clearTimeout(cut));
              upRes.resume();
              // The try is over for the policy now: its retry must not wait for its own slot.
              end();
            },
          });
        });
        upReq.on('error', (err: NodeJS.ErrnoException) => {
          clearTimeout(timer);
          endPending();
          if (settled) {
            // The response was being relayed (or the try was cut): the caller cannot get a whole one.
            if (this.#current === upReq && this.res.headersSent && !this.res.writableEnded)
              this.res.destroy();
            return end();
          }
          const bodiless =
            this.req.method !== undefined &&
            safe.has(this.req.method) &&
            this.req.complete &&
            this.#body.bytes === 0;
          if (!again && upReq.reusedSocket && err.code === 'ECONNRESET' && bodiless) return send(true);
          settled = true;
          this.#body.detach(upReq);
          end();
          this.ctx.log.debug({ err: err.message, upstream: this.#upstream }, 'upstream request failed');
          const connected = socket !== undefined && isEstablished(socket);
          resolve(
            connected
              ? failed('reset', responseFlags.upstreamConnectionTermination, 502, answer)
              : failed('connect-failure', responseFlags.upstreamConnectFailure, 503, answer),
          );
        });
        this.#body.pipeTo(upReq);
      };
      send(false);
    });
  }

  #relay(upRes: IncomingMessage, status: number, edit: HeaderEditor | undefined, done: () => void): void {
    const res = this.res;
    upRes.once('end', done);
    upRes.once('close', done);
    if (this.#gone || res.headersSent) return void upRes.resume();
    const raw = endToEnd(upRes.rawHeaders);
    if (edit && !edit.empty) {
      const h = headerObject(raw);
      edit.apply(h);
      res.writeHead(status, h);
    } else {
      res.writeHead(status, raw);
    }
    upRes.on('data', (c: Buffer) => (this.#responseBytes += c.length));
    upRes.pipe(res);
    upRes.once('error', () => res.destroy());
    upRes.once('aborted', () => {
      this.flags.push(responseFlags.upstreamConnectionTermination);
      res.destroy();
    });
  }

  answer(status: number, headers: Record<string, string>, edit: HeaderEditor | undefined): void {
    const res = this.res;
    if (this.#gone) return;
    if (res.headersSent) return void res.destroy();
    const flag = joinFlags(this.flags);
    const h: OutgoingHttpHeaders = {
      'content-type': 'text/plain',
      'x-trellis-response-flags': flag,
      ...headers,
    };
    edit?.apply(h);
    res.writeHead(status, h);
    res.end(`${flag}\n`);
  }

  mirror(to: TryTarget, done: () => void): boolean {
    if (!this.#body.complete) return false;
    const end = once(done);
    const headers = headerObject(this.#headers);
    // As Istio: the copy's authority says it is a shadow, so the mirror can tell copies apart.
    headers.host = `${this.req.headers.host ?? to.destinationService}-shadow`;
    const copy = request({
      agent: this.o.agentFor(to.identity),
      host: to.host,
      port: to.port,
      method: this.req.method,
      path: this.req.url,
      headers,
      setHost: false,
    });
    copy.on('response', (r) => {
      r.once('end', end);
      r.once('close', end);
      r.resume();
    });
    copy.on('error', end);
    // No shared timeout with the original; a mirror that never answers is cut, not kept forever.
    copy.setTimeout(mirrorTimeoutMs, () => copy.destroy());
    this.#body.copyTo(copy);
    return true;
  }

  #finish(): void {
    const res = this.res;
    const flag = joinFlags(this.flags);
    const labels: RequestLabels = {
      ...this.#labels,
      response_code: res.headersSent ? String(res.statusCode) : '0',
      response_flags: res.writableFinished ? flag : flag === '-' ? 'DC' : flag,
    };
    const m = this.ctx.metrics;
    const elapsed = performance.now() - this.#started;
    m.requests.inc(labels);
    m.requestDuration.observe(labels, elapsed / 1000);
    m.requestBytes.inc(labels, this.#body.bytes);
    m.responseBytes.inc(labels, this.#responseBytes);
    const span = this.#span;
    const req = this.req;
    if (span.sampled && this.ctx.spans.enabled) {
      this.ctx.spans.record({
        traceId: span.traceId,
        spanId: span.spanId,
        parentSpanId: span.parentSpanId,
        name: labels.destination_service,
        kind: labels.direction === 'inbound' ? 2 : 3,
        startMs: performance.timeOrigin + this.#started,
        endMs: performance.timeOrigin + performance.now(),
        attributes: {
          'http.request.method': req.method ?? '',
          'url.path': req.url ?? '',
          'http.response.status_code': Number(labels.response_code),
          'server.address': this.#upstream,
          'trellis.response_flags': labels.response_flags,
        },
        error: labels.response_flags !== '-' || Number(labels.response_code) >= 500,
      });
    }
    if (this.o.accessLog) {
      this.ctx.log.info(
        {
          type: 'access',
          direction: labels.direction,
          method: req.method,
          path: req.url,
          authority: req.headers.host,
          status: labels.response_code,
          flags: labels.response_flags,
          durationMs: Math.round(elapsed * 1000) / 1000,
          requestBytes: this.#body.bytes,
          responseBytes: this.#responseBytes,
          upstream: this.#upstream,
          source: labels.source_workload,
          destination: labels.destination_service,
          traceId: span.traceId,
          spanId: span.spanId,
        },
        'access',
      );
    }
  }
}

/** A mirrored copy still unanswered after this long is cut. */
const mirrorTimeoutMs = 30_000;

/** One try to `to` and its outcome relayed, no policy: pod-IP, passthrough and inbound requests. */
export function forwardOnce(ex: Transport, to: TryTarget, release: () => void): void {
  void ex.tryOnce(to, undefined, undefined, release).then((o) => {
    ex.flags.push(o.flag);
    o.commit(undefined);
  });
}

/** The request line and raw fields (name, value, ...) of an Upgrade request. */
export interface UpgradeRequest {
  method: string;
  target: string;
  rawHeaders: readonly string[];
}

/**
 * An Upgrade (WebSocket and others): replays the request head on a fresh
 * upstream connection, then the two become one byte stream; the upstream's
 * 101 (or refusal) reaches the client as it was sent.
 */
export function forwardUpgrade(
  ctx: ProxyContext,
  req: UpgradeRequest,
  client: Duplex,
  head: Buffer,
  upstream: Duplex,
  labels: BaseLabels,
  onClose: () => void,
): void {
  const headers = endToEnd(req.rawHeaders, new Set(), true);
  let text = `${req.method} ${req.target} HTTP/1.1\r\n`;
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
