import type { Duplex } from 'node:stream';
import {
  type BodyLimits,
  BodyReader,
  defaultBodyLimits,
  keepsAlive,
  requestFraming,
  responseFraming,
} from './body.js';
import {
  defaultHeadLimits,
  endToEndFields,
  type HeadLimits,
  hasToken,
  parseRequestHead,
  parseResponseHead,
  passOn,
  type RequestHead,
  type ResponseHead,
  requestHeadBytes,
  responseHeadBytes,
  responseHeadOut,
} from './head.js';
import { AcquireError, type H1Upstream, type UpstreamUser } from './pool.js';

export interface H1Limits extends HeadLimits, BodyLimits {
  /** A request head must be complete this long after its first byte (slowloris guard): 408. */
  headersTimeoutMs: number;
  /** A kept-alive client connection idle this long between requests is closed. */
  keepAliveTimeoutMs: number;
  /**
   * An exchange with no bytes moving either way for this long ends (Envoy's stream idle timeout):
   * 408 while the request body is still due (a slow client), 504 while the upstream has not
   * answered, a cut once the response has begun; response flag SI, or UT for the upstream.
   */
  idleTimeoutMs: number;
}

export const defaultH1Limits: H1Limits = {
  ...defaultHeadLimits,
  ...defaultBodyLimits,
  headersTimeoutMs: 15_000,
  keepAliveTimeoutMs: 60_000,
  idleTimeoutMs: 300_000,
};

/** One finished request/response, for metrics and access logs. */
export interface H1Exchange {
  request: RequestHead;
  /** 0 when no response head reached the client. */
  status: number;
  /** Body content bytes (chunk framing and trailers not counted), as the golden metrics count them. */
  requestBytes: number;
  responseBytes: number;
  /** Envoy-style: '-' ok, UF upstream connect failure, UC upstream reset, DC client went away. */
  flag: string;
  startedMs: number;
}

/**
 * An exchange handed over whole (`take`): the taker sends the request upstream (as often as its
 * policy wants) and writes the answer to `client` itself; the engine keeps the client connection's
 * framing, keep-alive and pipelining.
 */
export interface H1Taken {
  readonly head: RequestHead;
  readonly client: Duplex;
  readonly startedMs: number;
  /** Registers the taker's listener: body bytes already read reach it at once. */
  listen(l: H1TakenListener): void;
  /** Whether the whole request body has been read. */
  readonly requestComplete: boolean;
  /** Request body content bytes so far (chunk framing not counted). */
  readonly requestPayload: number;
  /** The answer must carry Connection: close (the client asked for it, HTTP/1.0, or draining). */
  readonly mustClose: boolean;
  /** Stop / go on reading the request body (no try to send it to yet, or upstream backpressure). */
  pause(): void;
  resume(): void;
  /** The answer is written whole; `keepOpen` false (or a body still due) closes the connection. */
  end(keepOpen: boolean): void;
}

/** What a taker hears about its exchange (an object, so a request costs no closures for it). */
export interface H1TakenListener {
  /** Request body bytes as they arrive (chunk framing included). */
  onBody(bytes: Buffer): void;
  /** The whole request body has been read. */
  onBodyEnd(): void;
  /** The client went away, or sent a body that is not valid HTTP: called once, nothing to answer. */
  onGone(): void;
}

export interface H1Handlers {
  /**
   * A connection towards this request's destination (pooled by the caller). Rejecting with an
   * AcquireError answers its status and flag (no route, no healthy endpoint, pool full).
   */
  acquire: (head: RequestHead) => Promise<H1Upstream>;
  /** The connection back after an exchange; not reusable means the caller closes it. */
  release: (up: H1Upstream, reusable: boolean) => void;
  /**
   * Takes the exchange whole instead of acquire() (a traffic policy with retries, timeouts and
   * mirrors); false leaves it to acquire(). A taken exchange's telemetry is the taker's.
   */
  take?: (x: H1Taken) => boolean;
  /** The head's bytes sent upstream; by default its end-to-end fields (passOn). */
  requestHead?: (head: RequestHead) => Buffer;
  onExchange?: (e: H1Exchange) => void;
  /** A refused request head (400, 408, 431, 501), before anything went upstream. */
  onClientError?: (status: number, reason: string) => void;
  /** Upgrade and CONNECT requests are handed over with the bytes already read; without this, 501. */
  onUpgrade?: (head: RequestHead, client: Duplex, rest: Buffer) => void;
  /** True while draining: each response then carries Connection: close. */
  draining?: () => boolean;
}

const statusText: Record<number, string> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  504: 'Gateway Timeout',
  431: 'Request Header Fields Too Large',
  501: 'Not Implemented',
  403: 'Forbidden',
  429: 'Too Many Requests',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};
const safe = new Set(['GET', 'HEAD', 'OPTIONS']);
const empty = Buffer.alloc(0);

function unrefTimer(fn: () => void, ms: number): NodeJS.Timeout {
  const t = setTimeout(fn, ms);
  t.unref();
  return t;
}

/**
 * Serves HTTP/1.1 on one client connection, forwarding each request to an upstream connection
 * and the response back. Bodies are moved as the bytes that arrived (no parse into a stream of
 * objects, no re-encoding); heads are parsed, rewritten and serialised once. One exchange at a
 * time: pipelined requests wait, already read, until the response before them is complete.
 */
export function serveH1(client: Duplex, handlers: H1Handlers, limits: H1Limits = defaultH1Limits): H1Served {
  const conn = new H1Connection(client, handlers, limits);
  conn.start();
  return { drain: () => conn.drain(), busy: () => conn.busy };
}

/** A served connection, for a connection tracker. */
export interface H1Served {
  /** Closes the connection now if it is between requests, else right after the current response. */
  drain: () => void;
  /** True while an exchange is in flight. */
  busy: () => boolean;
}

class H1Connection {
  #buf: Buffer = empty;
  #phase: 'head' | 'busy' | 'closed' = 'head';
  // One timer per kind, made on first use and restarted with refresh() (not a new timer per
  // request); a timer that fires for a period already over does nothing.
  #keepAliveTimer: NodeJS.Timeout | undefined;
  #headTimer: NodeJS.Timeout | undefined;
  #exchangeTimer: NodeJS.Timeout | undefined;
  #timerKind: 'idle' | 'head' | undefined;
  #exchange: Exchange | undefined;
  #ended = false;
  readonly #on = {
    data: (chunk: Buffer) => this.#onData(chunk),
    end: () => this.#onEnd(),
    close: () => this.#onClose(),
    error: () => this.client.destroy(),
  };

  constructor(
    readonly client: Duplex,
    readonly handlers: H1Handlers,
    readonly limits: H1Limits,
  ) {}

  start(): void {
    const c = this.client;
    c.on('data', this.#on.data)
      .on('end', this.#on.end)
      .on('close', this.#on.close)
      .on('error', this.#on.error);
    this.#arm();
    c.resume();
  }

  #onData(chunk: Buffer): void {
    const ex = this.#exchange;
    if (ex?.requestOpen) {
      this.keep(ex.requestBody(chunk));
      return;
    }
    this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk]);
    if (this.#phase === 'head') this.#tryHead();
    // Pipelined bytes beyond one head's worth wait with the socket paused.
    else if (this.#buf.length > this.limits.maxHeadBytes) this.client.pause();
  }

  /** Idle timer between requests (close quietly), head timer once a head has begun (408). */
  #arm(): void {
    const kind = this.#phase !== 'head' ? undefined : this.#buf.length === 0 ? 'idle' : 'head';
    if (kind === this.#timerKind) return;
    this.#timerKind = kind;
    if (kind === 'idle') {
      this.#keepAliveTimer ??= unrefTimer(() => {
        if (this.#timerKind === 'idle') this.close();
      }, this.limits.keepAliveTimeoutMs);
      this.#keepAliveTimer.refresh();
    } else if (kind === 'head') {
      this.#headTimer ??= unrefTimer(() => {
        if (this.#timerKind === 'head') this.refuse(408, 'request head timed out');
      }, this.limits.headersTimeoutMs);
      this.#headTimer.refresh();
    }
  }

  /** Bytes of the current exchange moved: its idle clock starts again. */
  touch(): void {
    this.#exchangeTimer ??= unrefTimer(() => this.#exchange?.idle(), this.limits.idleTimeoutMs);
    this.#exchangeTimer.refresh();
  }

  #clearTimers(): void {
    this.#timerKind = undefined;
    clearTimeout(this.#keepAliveTimer);
    clearTimeout(this.#headTimer);
    clearTimeout(this.#exchangeTimer);
  }

  #tryHead(): void {
    const r = parseRequestHead(this.#buf, this.limits);
    if (r.kind === 'incomplete') {
      this.#arm();
      return;
    }
    if (r.kind === 'error') {
      this.refuse(r.status, r.reason);
      return;
    }
    const head = r.head;
    const rest = this.#buf.subarray(r.length);
    const upgrade = head.method === 'CONNECT' || hasToken(head.headers, 'connection', 'upgrade');
    if (upgrade) {
      if (!this.handlers.onUpgrade) {
        this.refuse(501, 'upgrade not supported here');
        return;
      }
      this.#detach();
      this.handlers.onUpgrade(head, this.client, rest);
      return;
    }
    const framing = requestFraming(head);
    if (framing.kind === 'error') {
      this.refuse(framing.status, framing.reason);
      return;
    }
    this.#phase = 'busy';
    this.#buf = empty;
    this.#arm();
    this.#exchange = new Exchange(this, head, new BodyReader(framing, this.limits), rest);
    this.#exchange.begin();
  }

  get busy(): boolean {
    return this.#exchange !== undefined;
  }

  /** The connection ends after the current response (drain, or the proxy is draining). */
  get closing(): boolean {
    return this.#draining || this.handlers.draining?.() === true;
  }

  drain(): void {
    this.#draining = true;
    if (!this.#exchange) this.close();
  }

  #draining = false;

  /** Called by the exchange once its response is complete. */
  next(keepOpen: boolean): void {
    this.#exchange = undefined;
    if (!keepOpen || this.#ended || this.closing) {
      this.close();
      return;
    }
    this.#phase = 'head';
    this.client.resume();
    if (this.#buf.length > 0) this.#tryHead();
    else this.#arm();
  }

  /** Bytes read past a request's body: the start of the next, pipelined request. */
  keep(rest: Buffer): void {
    if (rest.length > 0) this.#buf = this.#buf.length === 0 ? rest : Buffer.concat([rest, this.#buf]);
  }

  refuse(status: number, reason: string): void {
    this.handlers.onClientError?.(status, reason);
    this.respond(status);
    this.close();
  }

  /** A local answer, bodiless unless `body` is given; unless `keepAlive`, the connection closes after it. */
  respond(status: number, flag?: string, fields: readonly string[] = [], keepAlive = false, body = ''): void {
    if (!this.client.writable) return;
    let extra = flag ? `x-trellis-response-flags: ${flag}\r\n` : '';
    for (let i = 0; i < fields.length; i += 2) extra += `${fields[i]}: ${fields[i + 1]}\r\n`;
    if (body) extra += 'Content-Type: text/plain\r\n';
    const connection = keepAlive ? '' : 'Connection: close\r\n';
    this.client.write(
      `HTTP/1.1 ${status} ${statusText[status] ?? 'Error'}\r\n${connection}${extra}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  }

  close(): void {
    if (this.#phase === 'closed') return;
    this.#phase = 'closed';
    this.#exchange = undefined;
    this.#clearTimers();
    this.client.end();
    // A client that never reads its answer must not hold the socket forever.
    setTimeout(() => this.client.destroy(), 5_000).unref();
  }

  /** Hands the socket over (upgrades): only this engine's own listeners come off. */
  #detach(): void {
    this.#phase = 'closed';
    this.#clearTimers();
    const c = this.client;
    c.off('data', this.#on.data)
      .off('end', this.#on.end)
      .off('close', this.#on.close)
      .off('error', this.#on.error);
    c.pause();
  }

  #onEnd(): void {
    this.#ended = true;
    // A half-close after a whole request still gets its answer; otherwise nothing more can come.
    if (this.#exchange) this.#exchange.clientEnded();
    else this.close();
  }

  #onClose(): void {
    this.#clearTimers();
    this.#exchange?.clientGone();
    this.#exchange = undefined;
    this.#phase = 'closed';
  }
}

/** The view of an exchange its taker gets. */
class TakenExchange implements H1Taken {
  listener: H1TakenListener | undefined;

  constructor(
    private readonly x: Exchange,
    /** Body bytes read before the taker listens. */
    readonly early: Buffer[],
  ) {}

  get head(): RequestHead {
    return this.x.head;
  }
  get client(): Duplex {
    return this.x.conn.client;
  }
  get startedMs(): number {
    return this.x.startedMs;
  }
  get requestComplete(): boolean {
    return !this.x.requestOpen;
  }
  get requestPayload(): number {
    return this.x.body.payload;
  }
  get mustClose(): boolean {
    return !keepsAlive(this.x.head) || this.x.conn.closing;
  }

  listen(l: H1TakenListener): void {
    for (const b of this.early.splice(0)) l.onBody(b);
    this.listener = l;
    if (!this.x.requestOpen) l.onBodyEnd();
  }

  pause(): void {
    this.x.conn.client.pause();
  }
  resume(): void {
    this.x.conn.client.resume();
  }
  end(keepOpen: boolean): void {
    this.x.takenEnd(keepOpen);
  }
}

/** One request and its response, over one upstream connection. */
class Exchange implements UpstreamUser {
  #up: H1Upstream | undefined;
  #pending: Buffer[] = [];
  #resBuf: Buffer = empty;
  #res: { head: ResponseHead; reader: BodyReader } | undefined;
  #requestBytes = 0;
  #extra = false;
  #retried = false;
  #finished = false;
  #headSent = false;
  requestOpen: boolean;
  readonly #started = performance.now();
  /** Upstream drain listener, made on first backpressure. */
  #onDrain: (() => void) | undefined;

  constructor(
    readonly conn: H1Connection,
    readonly head: RequestHead,
    readonly body: BodyReader,
    first: Buffer,
  ) {
    this.requestOpen = !body.done;
    // Whatever body came with the head is held until the upstream (or a taker) is there.
    const rest = this.requestBody(first);
    conn.keep(rest);
  }

  begin(): void {
    if (this.#finished) return;
    // A body still to come waits until it has somewhere to go. A whole request needs no pause
    // (a paused socket's resume costs a tick): pipelined bytes are kept, a head's worth at most.
    if (this.requestOpen) this.conn.client.pause();
    const take = this.conn.handlers.take;
    if (take) {
      // The body bytes read with the head are the taker's.
      this.#taken = new TakenExchange(this, this.#pending);
      if (take(this.#taken)) {
        this.#pending = [];
        return;
      }
      this.#taken = undefined;
    }
    const handlers = this.conn.handlers;
    const head = this.head;
    this.#pending.unshift(
      handlers.requestHead?.(head) ?? passOn(head) ?? requestHeadBytes(head, endToEndFields(head.headers)),
    );
    this.#touch();
    this.conn.handlers.acquire(this.head).then(
      (up) => this.#attach(up),
      (err: unknown) => this.#refused(err),
    );
  }

  /** Request body bytes from the client; returns those past the body (a pipelined request). */
  requestBody(chunk: Buffer): Buffer {
    if (!this.requestOpen) return chunk;
    this.#touch();
    const r = this.body.feed(chunk);
    if ('error' in r) {
      this.conn.handlers.onClientError?.(400, r.error);
      this.#fail('DC', 400);
      return empty;
    }
    this.#requestBytes += r.used;
    this.requestOpen = !r.done;
    if (r.used > 0) this.#send(r.used === chunk.length ? chunk : chunk.subarray(0, r.used));
    else if (r.done && this.#taken) this.#taken.listener?.onBodyEnd();
    return chunk.subarray(r.used);
  }

  #send(bytes: Buffer): void {
    const taken = this.#taken;
    if (taken) {
      const l = taken.listener;
      if (l) l.onBody(bytes);
      else taken.early.push(bytes);
      if (!this.requestOpen) l?.onBodyEnd();
      return;
    }
    const up = this.#up;
    if (!up) {
      this.#pending.push(bytes);
      return;
    }
    if (!up.socket.write(bytes)) this.#waitUpstream();
  }

  /** Upstream backpressure: stop reading the client until the upstream drains. */
  #waitUpstream(): void {
    if (this.#upWaiting || !this.#up) return;
    this.#upWaiting = true;
    this.conn.client.pause();
    this.#onDrain ??= () => {
      this.#upWaiting = false;
      this.conn.client.resume();
    };
    this.#up.socket.once('drain', this.#onDrain);
  }

  #upWaiting = false;
  #clientWaiting = false;

  #attach(up: H1Upstream): void {
    if (this.#finished) {
      this.conn.handlers.release(up, false);
      return;
    }
    this.#up = up;
    const s = up.socket;
    up.user = this;
    const pending = this.#pending;
    this.#pending = [];
    // One write for the head and the body so far: one TLS record and one syscall when it fits.
    if (!s.write(pending.length === 1 ? (pending[0] as Buffer) : Buffer.concat(pending)))
      this.#waitUpstream();
    else this.conn.client.resume();
    // Keep the retry copy only while the request is small and whole (bodiless safe methods).
    if (!this.#retriable()) this.#pending = [];
    else this.#pending = pending;
  }

  #retriable(): boolean {
    return !this.#retried && safe.has(this.head.method) && !this.requestOpen && this.#requestBytes === 0;
  }

  #detachUp(reusable: boolean): void {
    const up = this.#up;
    if (!up) return;
    this.#up = undefined;
    const s = up.socket;
    up.user = undefined;
    if (this.#onDrain) s.off('drain', this.#onDrain);
    this.#upWaiting = false;
    s.resume();
    this.conn.handlers.release(up, reusable);
  }

  upData(chunk: Buffer): void {
    this.#touch();
    this.#relay(chunk);
  }

  #relay(chunk: Buffer): void {
    let bytes = chunk;
    if (!this.#res) {
      this.#resBuf = this.#resBuf.length === 0 ? bytes : Buffer.concat([this.#resBuf, bytes]);
      bytes = this.#parseResponseHead();
      if (!this.#res) return;
    }
    const r = this.#res.reader.feed(bytes);
    if ('error' in r) {
      this.#fail('UC', 502);
      return;
    }
    // The head and the body bytes that came with it leave in one write: one TLS record, one
    // syscall, and no small second segment for Nagle to hold back behind a delayed ACK.
    const body = r.used === 0 ? undefined : r.used === bytes.length ? bytes : bytes.subarray(0, r.used);
    const head = this.#headOut;
    this.#headOut = undefined;
    const out = head && body ? Buffer.concat([head, body]) : (head ?? body);
    if (out) this.#write(out);
    if (r.used < bytes.length) this.#extra = true;
    if (r.done) this.#complete();
  }

  /** Parses (and forwards interim 1xx) until a final head; returns the bytes after it. */
  #parseResponseHead(): Buffer {
    for (;;) {
      const r = parseResponseHead(this.#resBuf, this.conn.limits);
      if (r.kind === 'incomplete') return empty;
      if (r.kind === 'error') {
        this.#fail('UC', 502);
        return empty;
      }
      const rest = this.#resBuf.subarray(r.length);
      const head = r.head;
      if (head.status === 101) {
        this.#fail('UC', 502);
        return empty;
      }
      if (head.status < 200) {
        this.#write(responseHeadBytes(head, endToEndFields(head.headers)));
        this.#resBuf = rest;
        continue;
      }
      const framing = responseFraming(head, this.head.method);
      if (framing.kind === 'error') {
        this.#fail('UC', 502);
        return empty;
      }
      this.#pending = [];
      this.#resBuf = empty;
      this.#res = { head, reader: new BodyReader(framing, this.conn.limits) };
      const close = framing.kind === 'close' || !keepsAlive(this.head) || this.conn.closing;
      this.#closeClient = Boolean(close);
      this.#headSent = true;
      // Written with the first body bytes (#relay).
      this.#headOut = responseHeadOut(head, Boolean(close));
      return rest;
    }
  }

  #closeClient = false;
  /** The final response head, not yet written. */
  #headOut: Buffer | undefined;

  #write(bytes: Buffer): void {
    const client = this.conn.client;
    if (!client.writable) return;
    if (!client.write(bytes) && this.#up && !this.#clientWaiting) {
      // Client backpressure: stop reading the upstream until the client drains.
      const s = this.#up.socket;
      this.#clientWaiting = true;
      s.pause();
      client.once('drain', () => {
        this.#clientWaiting = false;
        if (this.#up?.socket === s) s.resume();
      });
    }
  }

  #complete(): void {
    if (this.#finished || !this.#res) return;
    this.#finished = true;
    const res = this.#res.head;
    const reusable = !this.requestOpen && !this.#extra && keepsAlive(res) && this.#res.reader.done;
    this.#detachUp(reusable && this.#res.head.minor === 1);
    this.#report(res.status, '-');
    // A request body the upstream did not wait for is still arriving: the connection cannot continue.
    this.conn.next(!this.#closeClient && !this.requestOpen);
  }

  upEnd(): void {
    if (this.#res?.reader.end()) {
      this.#complete();
      return;
    }
    this.#upFailed('UC');
  }

  upGone(): void {
    this.#upFailed('UC');
  }

  #upFailed(flag: string): void {
    if (this.#finished) return;
    const up = this.#up;
    // A pooled connection the upstream had closed: the request never reached it; try a fresh one.
    if (
      up?.reused &&
      !this.#res &&
      this.#resBuf.length === 0 &&
      this.#retriable() &&
      this.#pending.length > 0
    ) {
      this.#retried = true;
      this.#detachUp(false);
      this.conn.handlers.acquire(this.head).then(
        (fresh) => this.#attach(fresh),
        (err: unknown) => this.#refused(err),
      );
      return;
    }
    this.#fail(flag, 502);
  }

  /** Bytes moved: the idle clock starts again. */
  #touch(): void {
    // A taken exchange's timeouts are the taker's (route and per-try timeouts).
    if (this.#finished || this.#taken) return;
    this.conn.touch();
  }

  /** No bytes moved for the idle timeout. */
  idle(): void {
    if (this.#finished || this.#taken) return;
    if (this.requestOpen && !this.#headSent) {
      this.conn.handlers.onClientError?.(408, 'request body timed out');
      this.#fail('SI', 408);
    } else {
      this.#fail(this.#headSent ? 'SI' : 'UT', 504);
    }
  }

  /** acquire() failed: its AcquireError's status, flag and answer, else 503 UF. */
  #refused(err: unknown): void {
    if (!(err instanceof AcquireError)) {
      this.#fail('UF', 503);
      return;
    }
    const { fields = [], keepAlive = false, body = '' } = err.answer;
    // The connection can go on only when the whole request has been read (and so discarded).
    const stay = keepAlive && !this.requestOpen && keepsAlive(this.head) && !this.conn.closing;
    if (!stay) {
      this.#fail(err.flag, err.status, fields, body);
      return;
    }
    if (this.#finished) return;
    this.#finished = true;
    this.conn.respond(err.status, err.flag, fields, true, body);
    this.#report(err.status, err.flag);
    this.conn.next(true);
  }

  /** Gives up on the exchange: a status to the client if none was sent yet, else a cut. */
  #fail(flag: string, status: number, fields: readonly string[] = [], body = ''): void {
    if (this.#taken) {
      this.clientGone();
      return;
    }
    if (this.#finished) return;
    this.#finished = true;
    this.#detachUp(false);
    if (this.#headSent) {
      this.conn.client.destroy();
    } else {
      this.conn.respond(status, flag === 'DC' ? undefined : flag, fields, false, body);
      this.conn.close();
    }
    this.#report(this.#headSent ? (this.#res?.head.status ?? 0) : status, flag);
  }

  /** The client half-closed: fine once the request is whole, a broken request otherwise. */
  clientEnded(): void {
    if (this.requestOpen) this.clientGone();
  }

  clientGone(): void {
    if (this.#finished) return;
    this.#finished = true;
    const taken = this.#taken;
    if (taken) {
      this.conn.client.destroy();
      taken.listener?.onGone();
      return;
    }
    this.#detachUp(false);
    this.conn.client.destroy();
    this.#report(this.#headSent ? (this.#res?.head.status ?? 0) : 0, 'DC');
  }

  /** Set while the exchange is (being) taken. */
  #taken: TakenExchange | undefined;

  /** A taken exchange is answered whole: the connection goes on (or closes) after it. */
  takenEnd(keepOpen: boolean): void {
    if (this.#finished) return;
    this.#finished = true;
    this.conn.next(keepOpen && !this.requestOpen);
  }

  get startedMs(): number {
    return this.#started;
  }

  #report(status: number, flag: string): void {
    this.conn.handlers.onExchange?.({
      request: this.head,
      status,
      requestBytes: this.body.payload,
      responseBytes: this.#res?.reader.payload ?? 0,
      flag,
      startedMs: this.#started,
    });
  }
}
