import { Duplex } from 'node:stream';
import {
  FrameReader,
  FrameType,
  frameHeader,
  maxPayload,
  maxStreams,
  streamWindow,
  windowFrame,
} from './frames.js';

/**
 * One trellis-mux/1 link: many streams (each an HTTP/1.1 connection as far as the engines on
 * either side know) over one mTLS connection between two proxies. The frames every stream queues
 * during one turn of the event loop leave in one write, so requests in flight together share TLS
 * records and syscalls, where one connection per request pays them each (bench/h1/ceiling.ts:
 * 24 µs against 41 µs of CPU per request for a node pair that does no HTTP work).
 */
export class MuxLink {
  /** Every live stream, named or not yet. */
  readonly #streams = new Set<MuxStream>();
  /** Streams by id: the peer's, and ours once they sent a frame. */
  readonly #byId = new Map<number, MuxStream>();
  readonly #reader = new FrameReader();
  #out: Buffer[] = [];
  #flushing = false;
  #nextId = 1;
  #lastAccepted = 0;
  #closed = false;
  #retiring = false;
  readonly #flush = () => this.#write();
  /** Closes a link that has had no stream for `idleMs`. */
  #idleTimer: NodeJS.Timeout | undefined;

  /**
   * `onStream` makes this the accepting side (the peer opens streams); without it, this side
   * opens them with open(). `onClose` hears once that the link is gone.
   */
  constructor(
    readonly socket: Duplex,
    private readonly onStream?: (s: MuxStream) => void,
    private readonly onClose?: () => void,
    /**
     * How long the link may go without a stream before it closes. The dialling side closes after
     * 30 s, as a pool drops an idle connection: a peer that went away without a word is found by
     * the next dial, not by a request written into a dead link. The accepting side waits four times
     * as long, so a peer that behaves always closes first (closing first would race its next
     * stream), and one that opens links and leaves them empty does not hold them for ever.
     */
    private readonly idleMs = onStream ? 120_000 : 30_000,
  ) {
    socket.on('data', (chunk: Buffer) => {
      const err = this.#reader.feed(chunk, this.#onFrame);
      if (err) this.close(new Error(`trellis-mux: ${err}`));
    });
    socket.on('end', () => this.close());
    socket.on('close', () => this.close());
    socket.on('error', (err: Error) => this.close(err));
    this.#armIdle();
  }

  /** False once the link failed or is closing: open streams elsewhere. */
  get usable(): boolean {
    return !this.#closed && !this.#retiring;
  }

  get streams(): number {
    return this.#streams.size;
  }

  /** A new stream to the peer (the dialling side only). */
  open(): MuxStream {
    if (!this.usable) throw new Error('trellis-mux link is closed');
    // Its id comes with its first frame (name()), so ids reach the peer in increasing order
    // whatever order streams are used in: the peer takes a new id as a new stream.
    const s = new MuxStream(this, 0);
    this.#streams.add(s);
    return s;
  }

  /**
   * No new streams; the link closes once the last one has (a drain, or a rotated certificate).
   * The accepting side tells the peer (GOAWAY), so it takes new connections elsewhere.
   */
  retire(): void {
    if (this.#retiring || this.#closed) return;
    this.#retiring = true;
    if (this.onStream) this.send(frameHeader(FrameType.goaway, 0, 0));
    if (this.#streams.size === 0) this.close();
  }

  /** Ends the link and every stream on it (their engines see a close, as of a connection). */
  close(err?: Error): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#idleTimer);
    for (const s of [...this.#streams]) s.destroy();
    this.#streams.clear();
    this.#byId.clear();
    if (err) this.socket.destroy();
    else {
      this.#write();
      this.socket.end();
    }
    this.onClose?.();
  }

  /** Queues frame bytes; everything queued in this turn of the event loop leaves in one write. */
  send(a: Buffer, b?: Buffer): void {
    if (this.#closed) return;
    this.#out.push(a);
    if (b) this.#out.push(b);
    if (this.#flushing) return;
    this.#flushing = true;
    setImmediate(this.#flush);
  }

  /** The next id, for a stream of ours about to send its first frame. */
  name(s: MuxStream): number {
    const id = this.#nextId;
    this.#nextId += 1;
    this.#byId.set(id, s);
    return id;
  }

  forget(s: MuxStream): void {
    this.#streams.delete(s);
    if (s.id !== 0) this.#byId.delete(s.id);
    // A closed link's streams go with it: no idle clock for it.
    if (this.#closed || this.#streams.size > 0) return;
    if (this.#retiring) this.close();
    else this.#armIdle();
  }

  #armIdle(): void {
    if (this.#idleTimer) {
      this.#idleTimer.refresh();
      return;
    }
    this.#idleTimer = setTimeout(() => {
      if (this.#streams.size === 0) this.close();
    }, this.idleMs);
    this.#idleTimer.unref();
  }

  #write(): void {
    this.#flushing = false;
    const out = this.#out;
    if (out.length === 0 || this.#closed) return;
    this.#out = [];
    this.socket.write(out.length === 1 ? (out[0] as Buffer) : Buffer.concat(out));
  }

  readonly #onFrame = (type: FrameType, id: number, payload: Buffer): void => {
    if (type === FrameType.goaway) {
      if (!this.onStream) this.retire();
      return;
    }
    let s = this.#byId.get(id);
    if (!s) {
      // A frame for a stream already gone (it crossed our reset) is dropped; the accepting side
      // opens a stream on the first frame of a new id.
      if (!this.onStream || id <= this.#lastAccepted || (type !== FrameType.data && type !== FrameType.end))
        return;
      this.#lastAccepted = id;
      if (this.#streams.size >= maxStreams) {
        // As many streams as connections a peer may hold open here: this one is refused.
        this.send(frameHeader(FrameType.reset, id, 0));
        return;
      }
      s = new MuxStream(this, id);
      this.#streams.add(s);
      this.#byId.set(id, s);
      this.onStream(s);
    }
    if (type === FrameType.data) s.receive(payload);
    else if (type === FrameType.end) s.receiveEnd();
    else if (type === FrameType.reset) s.receiveReset();
    else s.credit(payload.readUInt32BE(0));
  };
}

/**
 * One stream of a link, used as a connection: a Duplex whose writes become DATA frames and whose
 * half-close is an END frame. Flow control as HTTP/2's: a writer may have `streamWindow` bytes the
 * reader has not consumed; past that its write callbacks wait for WINDOW credit, so a slow reader
 * holds back its writer instead of buffering without bound.
 */
export class MuxStream extends Duplex {
  #credit = streamWindow;
  #unacked = 0;
  #held: (() => void) | undefined;
  #sentEnd = false;
  #gotEnd = false;
  #gotReset = false;

  constructor(
    private readonly link: MuxLink,
    /** 0 until a stream we opened sends its first frame. */
    public id: number,
  ) {
    super({ allowHalfOpen: true });
  }

  #named(): number {
    if (this.id === 0) this.id = this.link.name(this);
    return this.id;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, cb: (err?: Error | null) => void): void {
    for (let at = 0; at < chunk.length; at += maxPayload) {
      const part = at === 0 && chunk.length <= maxPayload ? chunk : chunk.subarray(at, at + maxPayload);
      this.link.send(frameHeader(FrameType.data, this.#named(), part.length), part);
    }
    this.#credit -= chunk.length;
    if (this.#credit > 0) cb();
    else this.#held = cb;
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.#sentEnd = true;
    this.link.send(frameHeader(FrameType.end, this.#named(), 0));
    cb();
  }

  override _read(): void {
    this.#grant();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    // A stream that did not end both ways tells the peer it is gone; one the peer never heard of
    // (no frame sent yet) needs no word.
    if (this.id !== 0 && !this.#gotReset && !(this.#sentEnd && this.#gotEnd))
      this.link.send(frameHeader(FrameType.reset, this.id, 0));
    this.#held = undefined;
    this.link.forget(this);
    cb(err);
  }

  receive(data: Buffer): void {
    this.#unacked += data.length;
    if (this.push(data)) this.#grant();
  }

  receiveEnd(): void {
    this.#gotEnd = true;
    this.push(null);
  }

  receiveReset(): void {
    this.#gotReset = true;
    this.destroy();
  }

  credit(n: number): void {
    this.#credit += n;
    const held = this.#held;
    if (held && this.#credit > 0) {
      this.#held = undefined;
      held();
    }
  }

  /** Credit back what the reader consumed, in halves of the window (not a frame per read). */
  #grant(): void {
    if (this.#unacked < streamWindow / 2 || this.destroyed) return;
    this.link.send(windowFrame(this.id, this.#unacked));
    this.#unacked = 0;
  }
}
