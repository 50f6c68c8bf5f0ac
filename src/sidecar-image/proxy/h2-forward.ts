import {
  type ClientHttp2Session,
  type ClientHttp2Stream,
  constants,
  createServer as createH2Server,
  connect as h2connect,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
  type ServerHttp2Session,
  type ServerHttp2Stream,
} from 'node:http2';
import { connect as netConnect } from 'node:net';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import { BodyReplay } from './body-replay.js';
import type { ProxyContext } from './context.js';
import type { RequestLabels } from './metrics.js';
import { alpn, requireSpiffeId } from './mtls.js';
import { retryBufferLimitBytes } from './policy/defaults.js';
import { joinFlags, type ResponseFlag, responseFlags } from './policy/flags.js';
import type { HeaderEditor } from './policy/header-ops.js';
import type { TryFailure } from './policy/retry.js';
import type { Transport, TryOutcome, TryTarget } from './request-pipeline.js';
import { joinTrace, traceHeaders } from './trace.js';

/** Where one HTTP/2 stream goes and how it is labelled. */
export interface H2Upstream {
  host: string;
  port: number;
  identity: string | undefined;
  labels: Omit<RequestLabels, 'response_code' | 'response_flags'>;
}

/** Connection-specific headers HTTP/2 forbids, and the trace headers the proxy rewrites. */
const dropped = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'traceparent',
  'x-b3-traceid',
  'x-b3-spanid',
  'x-b3-parentspanid',
  'x-b3-sampled',
]);

function forwardable(headers: IncomingHttpHeaders, keepPseudo: boolean): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(headers)) {
    if (dropped.has(k) || (!keepPseudo && k.startsWith(':'))) continue;
    out[k] = v;
  }
  return out;
}

/** Sessions whose connection (and TLS handshake) completed: a failure after that is a reset. */
const connected = new WeakSet<ClientHttp2Session>();

/**
 * One multiplexed HTTP/2 session per upstream endpoint (h2c to the app, mTLS
 * with ALPN trellis-h2 to a peer proxy), shared by every stream towards it.
 */
export class H2Sessions {
  readonly #sessions = new Map<string, ClientHttp2Session>();

  constructor(private readonly ctx: ProxyContext) {}

  for(up: Pick<H2Upstream, 'host' | 'port' | 'identity'>): ClientHttp2Session {
    const key = `${up.identity ?? ''}@${up.host}:${up.port}`;
    const existing = this.#sessions.get(key);
    if (existing && !existing.closed && !existing.destroyed) return existing;
    const state = this.ctx.tls();
    const session = h2connect(`http://${up.host}:${up.port}`, {
      createConnection: (): Duplex => {
        if (!up.identity) return netConnect({ host: up.host, port: up.port, noDelay: true });
        const s = tlsConnect({
          host: up.host,
          port: up.port,
          servername: '',
          secureContext: state?.client,
          ALPNProtocols: [alpn.h2],
          checkServerIdentity: requireSpiffeId(up.identity),
        });
        if (!state) s.destroy(new Error('no workload identity loaded'));
        return s;
      },
    });
    const forget = () => {
      if (this.#sessions.get(key) === session) this.#sessions.delete(key);
    };
    session.once('connect', () => connected.add(session));
    session.on('error', forget);
    session.on('close', forget);
    session.on('goaway', forget);
    session.setTimeout(60_000, () => session.close());
    this.#sessions.set(key, session);
    return session;
  }

  destroy(): void {
    for (const s of this.#sessions.values()) s.close();
    this.#sessions.clear();
  }
}

function once(f: () => void): () => void {
  let called = false;
  return () => {
    if (called) return;
    called = true;
    f();
  };
}

export interface H2ExchangeOptions {
  /** Labels of the stream; an outbound exchange takes each try's destination into them. */
  labels: H2Upstream['labels'];
  relabel: boolean;
  samplingPercent: number;
}

/**
 * One HTTP/2 stream (gRPC included) as the request pipeline's transport: request headers and body
 * up (the body kept for replay up to the buffer limit), the chosen try's response headers, body
 * and trailers down, with the trace joined and the golden metrics recorded when the stream ends.
 * A trailers-only gRPC answer carries `grpc-status` in its headers, which retry-on can read; a
 * status in the trailers comes after the response is committed and cannot be retried.
 */
export class H2Exchange implements Transport {
  readonly flags: ResponseFlag[] = [];
  readonly #body: BodyReplay;
  readonly #headers: OutgoingHttpHeaders;
  readonly #started = performance.now();
  #labels: H2Upstream['labels'];
  #status = 0;
  #responseBytes = 0;
  #current: ClientHttp2Stream | undefined;
  #gone = false;

  constructor(
    private readonly ctx: ProxyContext,
    private readonly sessions: H2Sessions,
    private readonly stream: ServerHttp2Stream,
    private readonly headers: IncomingHttpHeaders,
    private readonly o: H2ExchangeOptions,
  ) {
    this.#labels = o.labels;
    this.#headers = { ...forwardable(headers, true), ...traceHeaders(joinTrace(headers, o.samplingPercent)) };
    this.#body = new BodyReplay(stream, retryBufferLimitBytes);
    stream.on('error', () => {});
    stream.once('close', () => {
      this.#gone = !stream.writableFinished || stream.rstCode !== constants.NGHTTP2_NO_ERROR;
      const current = this.#current;
      if (current && !current.closed) current.close(constants.NGHTTP2_CANCEL);
      this.#finish();
    });
  }

  gone(): boolean {
    return this.#gone || this.stream.destroyed;
  }

  bodyReplayable(): boolean {
    return this.#body.replayable;
  }

  tryOnce(
    to: TryTarget,
    edit: HeaderEditor | undefined,
    timeoutMs: number | undefined,
    done: () => void,
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
    let headers = this.#headers;
    if (edit && !edit.empty) {
      headers = { ...this.#headers };
      edit.apply(headers);
    }
    const answer = (status: number) => this.answer(status, {}, undefined);
    const failed = (failure: TryFailure, flag: ResponseFlag, status: number): TryOutcome => ({
      status: 0,
      grpcStatus: -1,
      failure,
      flag,
      overflow: 'none',
      commit: () => answer(status),
      discard: () => {},
    });
    return new Promise((resolve) => {
      let session: ClientHttp2Session;
      let upstream: ClientHttp2Stream;
      try {
        session = this.sessions.for({ host: to.host, port: to.port, identity: to.identity });
        upstream = session.request(headers);
      } catch {
        end();
        return resolve(failed('connect-failure', responseFlags.upstreamConnectFailure, 503));
      }
      this.#current = upstream;
      let settled = false;
      const fail = (failure: TryFailure, flag: ResponseFlag, status: number) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.#body.detach(upstream);
        if (!upstream.closed) upstream.close(constants.NGHTTP2_CANCEL);
        end();
        resolve(failed(failure, flag, status));
      };
      const timer =
        timeoutMs === undefined
          ? undefined
          : setTimeout(() => fail('per-try-timeout', responseFlags.upstreamRequestTimeout, 504), timeoutMs);
      const lost = () => {
        if (upstream.rstCode === constants.NGHTTP2_REFUSED_STREAM) {
          return fail('refused-stream', responseFlags.upstreamConnectionTermination, 503);
        }
        if (connected.has(session)) fail('reset', responseFlags.upstreamConnectionTermination, 502);
        else fail('connect-failure', responseFlags.upstreamConnectFailure, 503);
      };
      upstream.on('error', (err: Error) => {
        this.ctx.log.debug({ err: err.message, upstream: `${to.host}:${to.port}` }, 'upstream stream failed');
        if (!settled) return lost();
        // The response was being relayed: the caller cannot get a whole one.
        if (this.#current === upstream && !this.stream.destroyed) {
          this.flags.push(responseFlags.upstreamConnectionTermination);
          this.stream.close(constants.NGHTTP2_INTERNAL_ERROR);
        }
      });
      upstream.once('close', () => {
        if (!settled) lost();
        end();
      });
      upstream.on('response', (h) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        const status = Number(h[':status'] ?? 502);
        const grpc = Number(h['grpc-status'] ?? -1);
        resolve({
          status,
          grpcStatus: Number.isInteger(grpc) ? grpc : -1,
          failure: 'none',
          flag: responseFlags.none,
          overflow: 'none',
          commit: (resEdit) => this.#relay(upstream, h, status, resEdit),
          discard: () => {
            this.#body.detach(upstream);
            if (!upstream.closed) upstream.close(constants.NGHTTP2_CANCEL);
            end();
          },
        });
      });
      this.#body.pipeTo(upstream);
    });
  }

  #relay(
    upstream: ClientHttp2Stream,
    h: IncomingHttpHeaders,
    status: number,
    edit: HeaderEditor | undefined,
  ): void {
    const stream = this.stream;
    if (this.gone() || stream.headersSent) {
      if (!upstream.closed) upstream.close(constants.NGHTTP2_CANCEL);
      return;
    }
    this.#status = status;
    const out: OutgoingHttpHeaders = { ...forwardable(h, false), ':status': status };
    edit?.apply(out);
    let trailers: OutgoingHttpHeaders | undefined;
    stream.respond(out, { waitForTrailers: true });
    stream.on('wantTrailers', () => {
      if (trailers) stream.sendTrailers(trailers);
      else stream.close();
    });
    upstream.on('trailers', (t) => (trailers = forwardable(t, false)));
    upstream.on('data', (c: Buffer) => (this.#responseBytes += c.length));
    upstream.pipe(stream);
  }

  answer(status: number, headers: Record<string, string>, edit: HeaderEditor | undefined): void {
    const stream = this.stream;
    if (this.gone()) return;
    if (stream.headersSent) return void stream.close(constants.NGHTTP2_INTERNAL_ERROR);
    this.#status = status;
    const h: OutgoingHttpHeaders = {
      ':status': status,
      'x-trellis-response-flags': joinFlags(this.flags),
      ...headers,
    };
    edit?.apply(h);
    stream.respond(h, { endStream: true });
  }

  mirror(to: TryTarget, done: () => void): boolean {
    if (!this.#body.complete) return false;
    const end = once(done);
    try {
      const session = this.sessions.for({ host: to.host, port: to.port, identity: to.identity });
      const authority = this.headers[':authority'] ?? to.destinationService;
      const copy = session.request({ ...this.#headers, ':authority': `${authority}-shadow` });
      copy.on('error', () => {});
      copy.once('close', end);
      copy.on('response', () => copy.resume());
      // No shared timeout with the original; a mirror that never answers is cut, not kept forever.
      copy.setTimeout(mirrorTimeoutMs, () => copy.close(constants.NGHTTP2_CANCEL));
      this.#body.copyTo(copy);
      return true;
    } catch {
      end();
      return false;
    }
  }

  #finish(): void {
    const flag = joinFlags(this.flags);
    const labels: RequestLabels = {
      ...this.#labels,
      response_code: String(this.#status),
      response_flags: this.#gone && flag === '-' ? responseFlags.downstreamConnectionTermination : flag,
    };
    const m = this.ctx.metrics;
    m.requests.inc(labels);
    m.requestDuration.observe(labels, (performance.now() - this.#started) / 1000);
    m.requestBytes.inc(labels, this.#body.bytes);
    m.responseBytes.inc(labels, this.#responseBytes);
  }
}

/** A mirrored copy still unanswered after this long is cut. */
const mirrorTimeoutMs = 30_000;

/**
 * The HTTP/2 parsing side: sniffed (or ALPN-negotiated) HTTP/2 streams are
 * handed in with what the listener learned about them and come out as
 * streams. Sessions are created synchronously by the 'connection' event, so
 * `info` is attached to each session as it is born.
 */
export function createH2Front<T>(
  ctx: ProxyContext,
  onStream: (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, info: T) => void,
  idleTimeoutMs = 60_000,
) {
  const infoOf = new WeakMap<ServerHttp2Session, T>();
  const sessionOf = new WeakMap<Duplex, ServerHttp2Session>();
  let pending: { socket: Duplex; info: T } | undefined;
  const server = createH2Server();
  server.on('session', (session) => {
    // An idle client connection is closed (GOAWAY), as HTTP/1.1 keep-alive ones are.
    session.setTimeout(idleTimeoutMs, () => session.close());
    if (pending === undefined) return;
    infoOf.set(session, pending.info);
    sessionOf.set(pending.socket, session);
    session.on('error', () => {});
  });
  server.on('stream', (stream, headers) => {
    // A server stream's session is always the server session that 'session' announced.
    const info = stream.session && infoOf.get(stream.session as ServerHttp2Session);
    if (info === undefined) return stream.close(constants.NGHTTP2_REFUSED_STREAM);
    onStream(stream, headers, info);
  });
  return {
    accept(socket: Duplex, info: T): void {
      // HTTP/2 closes the connection itself (GOAWAY); a half-open socket would outlive a departed client.
      if ('allowHalfOpen' in socket) socket.allowHalfOpen = false;
      pending = { socket, info };
      try {
        server.emit('connection', socket);
      } finally {
        pending = undefined;
      }
      // A drain sends GOAWAY: streams in flight finish, the client opens no new ones here.
      ctx.tracker.add(socket, { drain: () => sessionOf.get(socket)?.close() });
    },
  };
}
