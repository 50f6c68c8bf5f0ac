import {
  type ClientHttp2Session,
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
import type { ProxyContext } from './context.js';
import type { RequestLabels } from './metrics.js';
import { alpn, requireSpiffeId } from './mtls.js';
import { joinTrace, traceHeaders } from './trace.js';

/** Where one HTTP/2 stream goes and how it is labelled. */
export interface H2Upstream {
  host: string;
  port: number;
  identity: string | undefined;
  labels: Omit<RequestLabels, 'response_code' | 'response_flags'>;
  release: () => void;
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

/**
 * Proxies one HTTP/2 stream (gRPC included): request headers and body up,
 * response headers, body and trailers down, with the trace joined and the
 * golden metrics recorded when the stream ends.
 */
export function forwardStream(
  ctx: ProxyContext,
  sessions: H2Sessions,
  stream: ServerHttp2Stream,
  headers: IncomingHttpHeaders,
  up: H2Upstream,
  samplingPercent: number,
): void {
  const started = performance.now();
  const trace = traceHeaders(joinTrace(headers, samplingPercent));
  let status = 0;
  let flag = '-';
  let requestBytes = 0;
  let responseBytes = 0;
  let done = false;
  const finish = () => {
    if (done) return;
    done = true;
    up.release();
    const labels: RequestLabels = { ...up.labels, response_code: String(status), response_flags: flag };
    const m = ctx.metrics;
    m.requests.inc(labels);
    m.requestDuration.observe(labels, (performance.now() - started) / 1000);
    m.requestBytes.inc(labels, requestBytes);
    m.responseBytes.inc(labels, responseBytes);
  };
  stream.on('error', () => {});
  stream.once('close', finish);
  stream.on('data', (c: Buffer) => (requestBytes += c.length));

  let upstream: ReturnType<ClientHttp2Session['request']>;
  let session: ClientHttp2Session;
  try {
    session = sessions.for(up);
    upstream = session.request({ ...forwardable(headers, true), ...trace });
  } catch {
    flag = 'UF';
    status = 503;
    stream.respond({ ':status': 503, 'x-trellis-response-flags': flag }, { endStream: true });
    return;
  }
  let trailers: OutgoingHttpHeaders | undefined;
  upstream.on('response', (h) => {
    status = Number(h[':status'] ?? 502);
    stream.respond({ ...forwardable(h, false), ':status': status }, { waitForTrailers: true });
  });
  stream.on('wantTrailers', () => {
    if (trailers) stream.sendTrailers(trailers);
    else stream.close();
  });
  upstream.on('trailers', (t) => (trailers = forwardable(t, false)));
  upstream.on('data', (c: Buffer) => (responseBytes += c.length));
  upstream.on('error', (err: NodeJS.ErrnoException) => {
    ctx.log.debug({ err: err.message, upstream: `${up.host}:${up.port}` }, 'upstream stream failed');
    if (!stream.headersSent) {
      flag = connected.has(session) ? 'UC' : 'UF';
      status = flag === 'UF' ? 503 : 502;
      if (!stream.destroyed)
        stream.respond({ ':status': status, 'x-trellis-response-flags': flag }, { endStream: true });
    } else {
      flag = 'UC';
      stream.close(constants.NGHTTP2_INTERNAL_ERROR);
    }
  });
  stream.once('close', () => {
    if (!upstream.closed) upstream.close(constants.NGHTTP2_CANCEL);
  });
  stream.pipe(upstream);
  upstream.pipe(stream);
}

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
