import type { OutgoingHttpHeaders } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ProxyContext } from './context.js';
import { BodyReader, type Framing, keepsAlive, responseFraming } from './h1/body.js';
import type { H1Taken, H1TakenListener } from './h1/forward.js';
import {
  endToEndFields,
  fieldValues,
  listTokens,
  parseResponseHead,
  type ResponseHead,
  requestHeadBytes,
  responseHeadBytes,
  responseHeadOut,
} from './h1/head.js';
import type { H1Upstream, UpstreamPool, UpstreamUser } from './h1/pool.js';
import {
  type DestinationLabels,
  type ExchangeLabels,
  joinHeadTrace,
  reportH1Exchange,
  tracedRequestHead,
  traceNames,
  withTraceFields,
} from './h1-report.js';
import type { Overflow } from './policy/circuit-breaker.js';
import { retryBufferLimitBytes } from './policy/defaults.js';
import { joinFlags, type ResponseFlag, responseFlags } from './policy/flags.js';
import type { HeaderEditor } from './policy/header-ops.js';
import type { TryFailure } from './policy/retry.js';
import type { ConnectionLimits, Transport, TryOutcome, TryTarget } from './request-pipeline.js';
import type { SpanContext } from './trace.js';

/** Where a try's connection comes from: one engine pool per upstream identity and address. */
export type PoolFor = (to: TryTarget) => UpstreamPool;

export interface H1TransportOptions {
  /** Labels of the request's connection; each try's destination is taken into them. */
  labels: DestinationLabels;
  poolFor: PoolFor;
  samplingPercent: number;
  accessLog: boolean;
}

/** How long a discarded response (a retry follows) may take to drain before its connection is cut. */
const discardDrainMs = 1_000;
/** A mirrored copy still unanswered after this long is cut. */
const mirrorTimeoutMs = 30_000;
const safe = new Set(['GET', 'HEAD', 'OPTIONS']);
/** Trace fields are this proxy's own; Expect is answered here (100 Continue) and not passed on. */
const dropped = new Set([...traceNames, 'expect']);
const empty: Buffer = Buffer.alloc(0);

/** Raw fields as Node's header object (names lower case, repeats as arrays), for header edits. */
function headerObject(fields: readonly string[]): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (let i = 0; i < fields.length; i += 2) {
    const name = (fields[i] ?? '').toLowerCase();
    const value = fields[i + 1] ?? '';
    const present = out[name];
    if (present === undefined) out[name] = value;
    else if (Array.isArray(present)) present.push(value);
    else out[name] = [String(present), value];
  }
  return out;
}

function fieldList(h: OutgoingHttpHeaders): string[] {
  const out: string[] = [];
  for (const [name, value] of Object.entries(h)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) out.push(name, v);
    else out.push(name, String(value));
  }
  return out;
}

function edited(fields: string[], edit: HeaderEditor | undefined): string[] {
  if (!edit || edit.empty) return fields;
  const h = headerObject(fields);
  edit.apply(h);
  return fieldList(h);
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

/**
 * One HTTP/1.1 request taken from the engine (h1/forward.ts) as the request pipeline's transport:
 * joins or starts the trace, keeps the body for replay (up to retryBufferLimitBytes), sends tries
 * on the engine's pooled connections as raw bytes (head re-serialised once per try, body bytes as
 * they came), relays the chosen response or answers locally, and records the golden metrics, the
 * span and the access log line when the answer is complete. A stale pooled connection that closes
 * before answering a bodiless safe request is retried once on a fresh one inside the try.
 */
export class H1Transport implements Transport, H1TakenListener {
  readonly flags: ResponseFlag[] = [];
  readonly #span: SpanContext;
  /** The fields sent upstream, made only for header edits and mirrors (see #fieldList). */
  #fields: string[] | undefined;
  #plainHead: Buffer | undefined;
  #labels: ExchangeLabels;
  #upstream = '-';
  /** Body bytes kept for the next try (all of them while replayable). */
  #chunks: Buffer[] = [];
  #bodyBytes = 0;
  #bodyDone = false;
  #replayable = true;
  /** The try whose connection receives the body bytes as they arrive. */
  #sink: UpstreamCall | undefined;
  #gone = false;
  #finished = false;
  /** Status of the response head written to the client, 0 before. */
  #status = 0;
  #responseBytes = 0;
  /** The try in flight, cut when the client goes away. */
  #abort: Attempt | undefined;

  constructor(
    private readonly ctx: ProxyContext,
    private readonly x: H1Taken,
    private readonly o: H1TransportOptions,
  ) {
    this.#labels = o.labels.none;
    this.#span = joinHeadTrace(x.head, o.samplingPercent);
    x.listen(this);
    // The caller waits for this before sending its body; the body is then read as tries need it.
    if (!this.#bodyDone && listTokens(x.head.headers, 'expect').includes('100-continue'))
      x.client.write('HTTP/1.1 100 Continue\r\n\r\n');
  }

  onGone(): void {
    this.#gone = true;
    this.#abort?.cut();
    this.#finish();
  }

  onBodyEnd(): void {
    this.#bodyDone = true;
  }

  onBody(b: Buffer): void {
    this.#bodyBytes += b.length;
    if (this.#bodyBytes > retryBufferLimitBytes) this.#replayable = false;
    const sink = this.#sink;
    if (sink) {
      sink.sendBody(b);
      if (this.#replayable) this.#chunks.push(b);
      else this.#chunks = [];
      return;
    }
    // No try to take it yet: keep it and stop reading until one is there.
    this.#chunks.push(b);
    this.x.pause();
  }

  gone(): boolean {
    return this.#gone;
  }

  bodyReplayable(): boolean {
    return this.#replayable;
  }

  tryOnce(
    to: TryTarget,
    edit: HeaderEditor | undefined,
    timeoutMs: number | undefined,
    done: () => void,
    limits?: ConnectionLimits,
  ): Promise<TryOutcome> {
    this.#labels = this.o.labels.of(
      to.destinationService,
      to.destinationWorkload,
      to.identity ? 'mtls' : 'none',
    );
    this.#upstream = `${to.host}:${to.port}`;
    // Tries without header edits send the same head: serialised once per request.
    let head: Buffer;
    if (edit && !edit.empty) head = requestHeadBytes(this.x.head, edited(this.#fieldList(), edit));
    else {
      this.#plainHead ??= tracedRequestHead(this.x.head, this.#span, dropped);
      head = this.#plainHead;
    }
    const pool = this.o.poolFor(to);
    return new Promise((resolve) =>
      new Attempt(this, pool, head, timeoutMs, done, limits, resolve).start(false),
    );
  }

  /** The try in flight, cut when the caller goes away. */
  set abort(a: Attempt | undefined) {
    this.#abort = a;
  }

  get chunks(): readonly Buffer[] {
    return this.#chunks;
  }

  /** After a try took the body so far: keep it only while it can still be replayed. */
  bodySent(): void {
    if (!this.#replayable) this.#chunks = [];
  }

  get upstream(): string {
    return this.#upstream;
  }

  get log(): ProxyContext['log'] {
    return this.ctx.log;
  }

  /** The request's end-to-end fields with this proxy's trace fields, as edits and mirrors start from. */
  #fieldList(): string[] {
    this.#fields ??= withTraceFields(endToEndFields(this.x.head.headers, dropped), this.#span);
    return this.#fields;
  }

  bodyless(): boolean {
    return safe.has(this.x.head.method) && this.#bodyDone && this.#bodyBytes === 0;
  }

  /** A try's connection now takes the body bytes as they arrive (undefined: none does). */
  sinkTo(sink: UpstreamCall | undefined): void {
    this.#sink = sink;
    if (sink) this.x.resume();
  }

  get requestWhole(): boolean {
    return this.#bodyDone;
  }

  get client(): Duplex {
    return this.x.client;
  }

  get method(): string {
    return this.x.head.method;
  }

  get mustClose(): boolean {
    return this.x.mustClose;
  }

  /** The response head goes to the client: from now on a failure cuts the client. */
  headSent(status: number): void {
    this.#status = status;
  }

  /** Response body content bytes relayed so far. */
  countResponse(payload: number): void {
    this.#responseBytes = payload;
  }

  /** The relayed response is complete (`keepOpen`) or was cut. */
  responseEnded(keepOpen: boolean, flag?: ResponseFlag): void {
    if (flag) {
      // Cut mid-response: the caller cannot get a whole one.
      this.flags.push(flag);
      this.x.client.destroy();
    }
    this.#finish();
    this.x.end(keepOpen);
  }

  answer(status: number, headers: Record<string, string>, edit: HeaderEditor | undefined): void {
    if (this.#gone || this.#finished) return;
    const client = this.x.client;
    if (this.#status !== 0) {
      client.destroy();
      this.#finish();
      return;
    }
    const flag = joinFlags(this.flags);
    const h: OutgoingHttpHeaders = {
      'content-type': 'text/plain',
      'x-trellis-response-flags': flag,
      ...headers,
    };
    edit?.apply(h);
    const body = Buffer.from(`${flag}\n`);
    const close = this.x.mustClose || !this.#bodyDone;
    const fields = fieldList(h);
    fields.push('content-length', String(body.length));
    if (close) fields.push('connection', 'close');
    client.write(
      Buffer.concat([
        responseHeadBytes({ minor: 1, status, reason: reasonOf(status), headers: [] }, fields),
        body,
      ]),
    );
    this.#status = status;
    this.#responseBytes = body.length;
    this.#finish();
    this.x.end(!close);
  }

  mirror(to: TryTarget, done: () => void): boolean {
    if (!this.#bodyDone || !this.#replayable) return false;
    const h = headerObject(this.#fieldList());
    // As Istio: the copy's authority says it is a shadow, so the mirror can tell copies apart.
    h.host = `${fieldValues(this.x.head.headers, 'host')[0] ?? to.destinationService}-shadow`;
    const bytes = Buffer.concat([requestHeadBytes(this.x.head, fieldList(h)), ...this.#chunks]);
    const pool = this.o.poolFor(to);
    pool
      .acquire()
      .then((up) => drainResponse(up, pool, this.x.head.method, bytes, mirrorTimeoutMs, done), done);
    return true;
  }

  #finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    const flag = joinFlags(this.flags);
    reportH1Exchange(
      this.ctx,
      {
        request: this.x.head,
        status: this.#status,
        requestBytes: this.x.requestPayload,
        responseBytes: this.#responseBytes,
        flag: this.#gone && flag === '-' ? 'DC' : flag,
        startedMs: this.x.startedMs,
      },
      { labels: this.#labels, span: this.#span, upstream: this.#upstream, accessLog: this.o.accessLog },
    );
  }
}

const reasons: Record<number, string> = {
  200: 'OK',
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};
const reasonOf = (status: number) => reasons[status] ?? 'Status';

function grpcStatusOf(head: ResponseHead): number {
  const v = fieldValues(head.headers, 'grpc-status')[0];
  const n = v === undefined ? -1 : Number(v);
  return Number.isInteger(n) ? n : -1;
}

/** Whether `bytes` hold the whole body of a response framed so (nothing more to wait for). */
function wholeIn(framing: Framing, bytes: Buffer): boolean {
  return framing.kind === 'none' || (framing.kind === 'length' && bytes.length >= framing.length);
}

/**
 * One try of a request, from waiting for a connection to the response head (or a failure): the
 * TryOutcome the pipeline decides on once its head is in. A stale pooled connection (closed
 * before answering a bodiless safe request) is retried once on a fresh one inside the try. One
 * object with methods instead of a dozen closures per try.
 */
class Attempt implements TryOutcome {
  status = 0;
  grpcStatus = -1;
  readonly failure = 'none';
  readonly flag = responseFlags.none;
  readonly overflow = 'none';
  #over = false;
  #settled = false;
  #waiting = false;
  #again = false;
  #timer: NodeJS.Timeout | undefined;
  #call: UpstreamCall | undefined;

  constructor(
    private readonly t: H1Transport,
    private readonly pool: UpstreamPool,
    private readonly head: Buffer,
    private readonly timeoutMs: number | undefined,
    private readonly done: () => void,
    private readonly limits: ConnectionLimits | undefined,
    private readonly resolve: (o: TryOutcome) => void,
  ) {}

  start(again: boolean): void {
    this.#again = again;
    this.#settled = false;
    this.#call = undefined;
    // The try waits for a connection (pooled, queued or being opened) until it has one.
    const pending = this.limits?.startPending() ?? 'none';
    if (pending !== 'none') {
      this.#end();
      this.#fail('none', responseFlags.upstreamOverflow, 503, pending);
      return;
    }
    this.#waiting = this.limits !== undefined;
    if (this.timeoutMs !== undefined) this.#timer = setTimeout(() => this.#timedOut(), this.timeoutMs);
    this.pool.acquire().then(
      (up) => this.#acquired(up),
      (err: Error) => {
        this.#endPending();
        this.#end();
        this.t.log.debug({ err: err.message, upstream: this.t.upstream }, 'upstream connect failed');
        this.#fail('connect-failure', responseFlags.upstreamConnectFailure, 503);
      },
    );
  }

  #acquired(up: H1Upstream): void {
    this.#endPending();
    if (this.#settled || this.t.gone()) {
      this.pool.release(up, true);
      this.#end();
      this.#fail('reset', responseFlags.upstreamConnectionTermination, 502);
      return;
    }
    const limits = this.limits;
    if (limits && up.served === 0) {
      // A new connection: counted against the destination that opened it until it closes.
      const opened = limits.openConnection();
      if (opened !== 'none') {
        this.pool.release(up, false);
        this.#end();
        this.#fail('none', responseFlags.upstreamOverflow, 503, opened);
        return;
      }
      up.socket.once('close', () => limits.closeConnection());
    }
    const n = ++up.served;
    this.#call = new UpstreamCall(this.t, up, this.pool, limits?.connectionSpent(n) === true);
    this.t.abort = this;
    this.#call.start(this.head, this.t.chunks, this);
    this.t.bodySent();
  }

  /** The response head, or how the connection failed before one came. */
  onHead(outcome: ResponseHead | 'stale' | 'reset'): void {
    if (outcome === 'stale' && !this.#again && this.t.bodyless()) {
      // A keep-alive race, not a failure: the same try again on a fresh connection.
      clearTimeout(this.#timer);
      this.start(true);
      return;
    }
    if (outcome === 'stale' || outcome === 'reset') {
      this.#end();
      this.t.log.debug({ upstream: this.t.upstream }, 'upstream request failed');
      this.#fail('reset', responseFlags.upstreamConnectionTermination, 502);
      return;
    }
    this.status = outcome.status;
    this.grpcStatus = grpcStatusOf(outcome);
    this.#settle(this);
  }

  commit(resEdit: HeaderEditor | undefined): void {
    if (this.#call) this.#call.relay(resEdit, this);
    else this.#end();
  }

  discard(): void {
    this.#call?.discard();
    // The try is over for the policy now: its retry must not wait for its own slot.
    this.#end();
  }

  /** The caller went away: the try ends now, whatever state it is in. */
  cut(): void {
    this.#call?.release(false);
    this.#end();
    this.#fail('reset', responseFlags.upstreamConnectionTermination, 502);
  }

  /** The try is over (its response ended, was discarded, or it failed): `done` once. */
  relayEnded(): void {
    this.#end();
  }

  #timedOut(): void {
    this.#endPending();
    this.#call?.release(false);
    this.#end();
    this.#fail('per-try-timeout', responseFlags.upstreamRequestTimeout, 504);
  }

  #endPending(): void {
    if (this.#waiting) this.limits?.endPending();
    this.#waiting = false;
  }

  #end(): void {
    if (this.#over) return;
    this.#over = true;
    this.done();
  }

  #fail(failure: TryFailure, flag: ResponseFlag, status: number, overflow: Overflow = 'none'): void {
    this.#settle(failed(failure, flag, status, (s) => this.t.answer(s, {}, undefined), overflow));
  }

  #settle(o: TryOutcome): void {
    if (this.#settled) return;
    this.#settled = true;
    clearTimeout(this.#timer);
    this.resolve(o);
  }
}

/**
 * One try on one pooled connection: sends the head and the body so far, then the rest as it
 * arrives; parses the response head (interim 1xx dropped: the caller got its 100 Continue from
 * this proxy); then relays the body to the client (commit) or drains it (discard).
 */
class UpstreamCall implements UpstreamUser {
  #buf: Buffer = empty;
  #head: ResponseHead | undefined;
  #framing: Framing['kind'] = 'none';
  /** The upstream closed while the response was held: dealt with once it is committed or discarded. */
  #upClosed = false;
  /** Bounds the drain of a discarded response; cleared on release (a close releases too). */
  #discardTimer: NodeJS.Timeout | undefined;
  #reader: BodyReader | undefined;
  /** Body bytes that came with the head, before commit or discard decided their fate. */
  #rest: Buffer = empty;
  #onHead: Attempt | undefined;
  #released = false;
  #extra = false;
  #mode: 'head' | 'held' | 'relay' | 'discard' = 'head';
  #relayEnd: Attempt | undefined;

  constructor(
    private readonly t: H1Transport,
    private readonly up: H1Upstream,
    private readonly pool: UpstreamPool,
    private readonly spent: boolean,
  ) {}

  start(head: Buffer, body: readonly Buffer[], onHead: Attempt): void {
    this.#onHead = onHead;
    const s = this.up.socket;
    this.up.user = this;
    s.write(body.length === 0 ? head : Buffer.concat([head, ...body]));
    this.t.sinkTo(this);
  }

  /** A request body chunk that arrived after the try began. */
  sendBody(b: Buffer): void {
    const s = this.up.socket;
    if (!s.write(b)) {
      // Upstream backpressure: stop reading the client until the upstream drains.
      this.t.client.pause();
      s.once('drain', () => this.t.client.resume());
    }
  }

  upEnd(): void {
    this.#ended();
  }

  upGone(): void {
    this.#ended();
  }

  upData(chunk: Buffer): void {
    if (this.#mode === 'head') {
      this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk]);
      for (;;) {
        const r = parseResponseHead(this.#buf);
        if (r.kind === 'incomplete') return;
        if (r.kind === 'error' || r.head.status === 101) {
          this.#broken();
          return;
        }
        this.#buf = this.#buf.subarray(r.length);
        if (r.head.status < 200) continue;
        const framing = responseFraming(r.head, this.t.method);
        if (framing.kind === 'error') {
          this.#broken();
          return;
        }
        this.#head = r.head;
        this.#framing = framing.kind;
        this.#reader = new BodyReader(framing);
        this.#rest = this.#buf;
        this.#buf = empty;
        this.#mode = 'held';
        // Nothing more is read until the pipeline commits or discards this response, unless it is
        // all here already (a paused socket's resume costs a tick).
        if (!wholeIn(framing, this.#rest)) this.up.socket.pause();
        this.#onHead?.onHead(r.head);
        return;
      }
    }
    if (this.#mode === 'relay') this.#relayBytes(chunk);
    else if (this.#mode === 'discard') this.#discardBytes(chunk);
    // Bytes past a response already whole: kept, so that they count as extra (not reusable).
    else if (this.#mode === 'held') this.#rest = Buffer.concat([this.#rest, chunk]);
  }

  /** Not HTTP from the upstream: the try failed as a reset. */
  #broken(): void {
    this.release(false);
    this.#onHead?.onHead('reset');
  }

  #ended(): void {
    if (this.#released) return;
    if (this.#mode === 'head') {
      const stale = this.up.reused && this.#buf.length === 0;
      this.release(false);
      this.#onHead?.onHead(stale ? 'stale' : 'reset');
      return;
    }
    if (this.#mode === 'held') {
      this.#upClosed = true;
      return;
    }
    // A close-delimited body ends with the connection.
    if (this.#reader?.end()) {
      this.#complete();
      return;
    }
    this.release(false);
    if (this.#mode === 'relay') this.t.responseEnded(false, responseFlags.upstreamConnectionTermination);
    this.#relayEnd?.relayEnded();
  }

  relay(edit: HeaderEditor | undefined, attempt: Attempt): void {
    const head = this.#head;
    if (!head || this.#released) {
      attempt.relayEnded();
      return;
    }
    this.#relayEnd = attempt;
    this.#mode = 'relay';
    const close = this.#framing === 'close' || this.t.mustClose;
    this.#closeClient = close;
    // Without header edits the upstream's bytes go on less their hop-by-hop lines (a peer proxy's
    // answer has none: it goes on as it came); the status line is always HTTP/1.1.
    const headBytes = responseHeadOut(
      head,
      close,
      edit && !edit.empty ? edited(endToEndFields(head.headers), edit) : undefined,
    );
    this.t.headSent(head.status);
    const rest = this.#rest;
    this.#rest = empty;
    this.#relayBytes(rest, headBytes);
    if (this.#upClosed) this.#ended();
    else if (!this.#released) this.up.socket.resume();
  }

  #closeClient = false;

  /**
   * Response body bytes on to the client; `head` (the response head, first time) leaves in the
   * same write: one TLS record and one syscall, where cork() would go through writev.
   */
  #relayBytes(chunk: Buffer, head?: Buffer): void {
    const reader = this.#reader;
    if (!reader) return;
    const r = reader.feed(chunk);
    if ('error' in r) {
      this.release(false);
      this.t.responseEnded(false, responseFlags.upstreamConnectionTermination);
      this.#relayEnd?.relayEnded();
      return;
    }
    this.t.countResponse(reader.payload);
    const body = r.used === 0 ? undefined : r.used === chunk.length ? chunk : chunk.subarray(0, r.used);
    const out = head && body ? Buffer.concat([head, body]) : (head ?? body);
    if (out) {
      const client = this.t.client;
      const s = this.up.socket;
      if (!client.write(out)) {
        // Client backpressure: stop reading the upstream until the client drains.
        s.pause();
        client.once('drain', () => {
          if (!this.#released) s.resume();
        });
      }
    }
    if (r.used < chunk.length) this.#extra = true;
    if (r.done) this.#complete();
  }

  #complete(): void {
    const head = this.#head;
    if (!head || this.#released) return;
    const reusable =
      !this.spent && !this.#extra && this.t.requestWhole && keepsAlive(head) && head.minor === 1;
    this.release(reusable);
    if (this.#mode === 'relay') {
      this.t.responseEnded(!this.#closeClient);
      this.#relayEnd?.relayEnded();
    }
  }

  discard(): void {
    if (this.#released) return;
    this.#mode = 'discard';
    // No close listener of its own: a once('close') per discard stayed on the socket when the
    // drained connection went back to the pool (11 on one socket in request-pipeline.test.ts).
    this.#discardTimer = setTimeout(() => this.release(false), discardDrainMs);
    const rest = this.#rest;
    this.#rest = empty;
    this.#discardBytes(rest);
    if (this.#upClosed) this.release(false);
    else if (!this.#released) this.up.socket.resume();
  }

  #discardBytes(chunk: Buffer): void {
    const r = this.#reader?.feed(chunk);
    if (!r || 'error' in r) {
      this.release(false);
      return;
    }
    if (r.used < chunk.length) this.#extra = true;
    if (r.done) this.#complete();
  }

  /** The connection back to its pool (closed unless reusable); the body goes nowhere after this. */
  release(reusable: boolean): void {
    if (this.#released) return;
    this.#released = true;
    clearTimeout(this.#discardTimer);
    this.t.sinkTo(undefined);
    const s = this.up.socket;
    this.up.user = undefined;
    s.resume();
    this.pool.release(this.up, reusable);
  }
}

/** Sends `bytes` and reads the response to its end, for nothing (a mirror); cut after `ms`. */
function drainResponse(
  up: H1Upstream,
  pool: UpstreamPool,
  method: string,
  bytes: Buffer,
  ms: number,
  done: () => void,
): void {
  const s = up.socket;
  let buf = empty;
  let reader: BodyReader | undefined;
  let over = false;
  const finish = (reusable: boolean) => {
    if (over) return;
    over = true;
    clearTimeout(timer);
    s.off('data', onData).off('end', onEnd).off('close', onEnd).off('error', onEnd);
    pool.release(up, reusable);
    done();
  };
  const timer = setTimeout(() => finish(false), ms);
  const onEnd = () => finish(reader?.end() === true);
  const onData = (c: Buffer) => {
    let rest = c;
    if (!reader) {
      buf = buf.length === 0 ? c : Buffer.concat([buf, c]);
      const r = parseResponseHead(buf);
      if (r.kind === 'incomplete') return;
      if (r.kind === 'error') return finish(false);
      rest = buf.subarray(r.length);
      buf = empty;
      if (r.head.status < 200) return onData(rest);
      const framing = responseFraming(r.head, method);
      if (framing.kind === 'error') return finish(false);
      reader = new BodyReader(framing);
    }
    const f = reader.feed(rest);
    if ('error' in f) return finish(false);
    if (f.done) finish(f.used === rest.length);
  };
  s.on('data', onData).on('end', onEnd).on('close', onEnd).on('error', onEnd);
  s.write(bytes);
}
