import type { Readable, Writable } from 'node:stream';

/**
 * A request body streamed to the current try while the first `limit` bytes are kept, so a retry
 * (or a mirror) can send it again. Once the body outgrows the limit the copy is dropped and the
 * request is no longer replayable: it is never retried (docs/traffic-policy.md, retries). The
 * source is not read before the first try asks for it, so nothing is lost while policy decides.
 */
export class BodyReplay {
  #chunks: Buffer[] = [];
  #kept = 0;
  #overflow = false;
  #ended = false;
  #started = false;
  #sink: Writable | undefined;
  #waiting: Writable | undefined;
  /** Body bytes received from the caller. */
  bytes = 0;

  constructor(
    private readonly source: Readable,
    private readonly limit: number,
  ) {}

  get replayable(): boolean {
    return !this.#overflow;
  }

  /** The whole body arrived and is kept: a copy can be sent without waiting. */
  get complete(): boolean {
    return this.#ended && !this.#overflow;
  }

  #start(): void {
    this.#started = true;
    this.source.on('data', (chunk: Buffer) => {
      this.bytes += chunk.length;
      if (!this.#overflow) {
        this.#kept += chunk.length;
        if (this.#kept > this.limit) {
          this.#overflow = true;
          this.#chunks = [];
        } else {
          this.#chunks.push(chunk);
        }
      }
      const sink = this.#sink;
      if (sink && !sink.destroyed && !sink.write(chunk)) {
        this.source.pause();
        this.#waiting = sink;
        sink.once('drain', () => this.#resume(sink));
      }
    });
    this.source.once('end', () => {
      this.#ended = true;
      if (this.#sink && !this.#sink.destroyed) this.#sink.end();
    });
  }

  #resume(sink: Writable): void {
    if (this.#waiting !== sink) return;
    this.#waiting = undefined;
    this.source.resume();
  }

  /** Sends the body to a new try: what was kept first, then the rest as it arrives. */
  pipeTo(sink: Writable): void {
    this.#sink = sink;
    if (this.#waiting) {
      this.#waiting = undefined;
      this.source.resume();
    }
    for (const c of this.#chunks) sink.write(c);
    if (this.#ended) sink.end();
    if (!this.#started) this.#start();
  }

  /** Stops feeding `sink` (its try is over); the caller's body keeps flowing for the next one. */
  detach(sink: Writable): void {
    if (this.#sink !== sink) return;
    this.#sink = undefined;
    if (this.#waiting === sink) this.#resume(sink);
  }

  /** Writes the kept body to `sink` and ends it; only when `complete`. */
  copyTo(sink: Writable): void {
    for (const c of this.#chunks) sink.write(c);
    sink.end();
  }
}
