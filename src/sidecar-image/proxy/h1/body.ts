import { fieldValues, hasToken, listTokens, type RequestHead, type ResponseHead } from './head.js';

/**
 * How a message's body is delimited (RFC 9112 §6.3): not at all, by Content-Length, by chunked
 * transfer coding, or (responses only) by the connection closing.
 */
export type Framing =
  | { kind: 'none' }
  | { kind: 'length'; length: number }
  | { kind: 'chunked' }
  | { kind: 'close' };

export type FramingResult = Framing | { kind: 'error'; status: 400 | 501; reason: string };

const digits = /^\d{1,15}$/;

function isDigits(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** Content-Length: one value (repeats of the same value are folded), digits only. */
function contentLength(headers: readonly string[]): number | undefined | 'invalid' {
  const fields = fieldValues(headers, 'content-length');
  if (fields.length === 0) return undefined;
  const only = fields.length === 1 ? (fields[0] as string) : '';
  if (only.length > 0 && only.length <= 15 && isDigits(only)) return Number(only);
  const values =
    fields.length === 1 && !fields[0]?.includes(',')
      ? fields
      : fields.flatMap((v) => v.split(',').map((s) => s.trim()));
  if (!values.every((v) => digits.test(v) && v === values[0])) return 'invalid';
  return Number(values[0]);
}

/**
 * A request's framing. Transfer-Encoding together with Content-Length is refused rather than
 * resolved (the classic smuggling vector), as is any coding list that does not end in chunked.
 */
export function requestFraming(head: RequestHead): FramingResult {
  const te = listTokens(head.headers, 'transfer-encoding');
  const cl = contentLength(head.headers);
  if (cl === 'invalid') return { kind: 'error', status: 400, reason: 'invalid Content-Length' };
  if (te.length > 0) {
    if (head.minor === 0) return { kind: 'error', status: 400, reason: 'Transfer-Encoding in HTTP/1.0' };
    if (cl !== undefined)
      return { kind: 'error', status: 400, reason: 'both Transfer-Encoding and Content-Length' };
    if (te.at(-1) !== 'chunked' || te.indexOf('chunked') !== te.length - 1)
      return {
        kind: 'error',
        status: te.includes('chunked') ? 400 : 501,
        reason: 'unsupported Transfer-Encoding',
      };
    return { kind: 'chunked' };
  }
  return cl ? { kind: 'length', length: cl } : { kind: 'none' };
}

/** A response's framing, which also depends on the request it answers. */
export function responseFraming(head: ResponseHead, requestMethod: string): FramingResult {
  if (requestMethod === 'HEAD' || head.status < 200 || head.status === 204 || head.status === 304)
    return { kind: 'none' };
  const te = listTokens(head.headers, 'transfer-encoding');
  if (te.length > 0) return te.at(-1) === 'chunked' ? { kind: 'chunked' } : { kind: 'close' };
  const cl = contentLength(head.headers);
  if (cl === 'invalid') return { kind: 'error', status: 400, reason: 'invalid Content-Length' };
  if (cl !== undefined) return cl === 0 ? { kind: 'none' } : { kind: 'length', length: cl };
  return { kind: 'close' };
}

/** Whether the connection stays open after this message (RFC 9112 §9.3). */
export function keepsAlive(head: { minor: 0 | 1; headers: string[] }): boolean {
  if (hasToken(head.headers, 'connection', 'close')) return false;
  return head.minor === 1 || hasToken(head.headers, 'connection', 'keep-alive');
}

export interface BodyLimits {
  /** A chunk-size line, extensions included. */
  maxChunkLine: number;
  /** The trailer section of a chunked body. */
  maxTrailers: number;
}

export const defaultBodyLimits: BodyLimits = { maxChunkLine: 4_096, maxTrailers: 16_384 };

export type Feed = { used: number; done: boolean } | { error: string };

enum S {
  Size,
  Ext,
  SizeLf,
  Data,
  DataCr,
  DataLf,
  TrailerStart,
  TrailerLine,
  TrailerLf,
  FinalLf,
}

/**
 * Finds where a body ends in the bytes as they arrive, without copying or re-encoding them: the
 * forwarder writes exactly the `used` bytes on, chunk framing and trailers included. Chunked
 * framing is checked strictly (hex sizes, CRLF after each chunk, bounded lines), so a body that
 * could be read two ways is refused instead.
 */
export class BodyReader {
  #left: number;
  #state = S.Size;
  #size = 0;
  #digits = 0;
  #line = 0;
  #trailers = 0;
  done: boolean;
  /** Content bytes so far: the body without its chunk framing and trailers (what metrics count). */
  payload = 0;

  constructor(
    private readonly framing: Framing,
    private readonly limits: BodyLimits = defaultBodyLimits,
  ) {
    this.#left = framing.kind === 'length' ? framing.length : 0;
    this.done = framing.kind === 'none';
  }

  /** Takes what belongs to the body from `buf` starting at `offset`. */
  feed(buf: Buffer, offset = 0): Feed {
    if (this.done) return { used: 0, done: true };
    const k = this.framing.kind;
    if (k === 'close') {
      this.payload += buf.length - offset;
      return { used: buf.length - offset, done: false };
    }
    if (k === 'length') {
      const used = Math.min(this.#left, buf.length - offset);
      this.#left -= used;
      this.payload += used;
      this.done = this.#left === 0;
      return { used, done: this.done };
    }
    return this.#chunked(buf, offset);
  }

  /** The peer closed: fine for a close-delimited body, truncation for the others. */
  end(): boolean {
    if (this.framing.kind === 'close') this.done = true;
    return this.done;
  }

  #chunked(buf: Buffer, offset: number): Feed {
    let i = offset;
    while (i < buf.length) {
      const c = buf[i] as number;
      switch (this.#state) {
        case S.Size: {
          const d = hexValue(c);
          if (d >= 0) {
            if (++this.#digits > 12) return { error: 'chunk size too large' };
            this.#size = this.#size * 16 + d;
          } else if (this.#digits === 0) {
            return { error: 'invalid chunk size' };
          } else if (c === 0x3b /* ; */) {
            this.#state = S.Ext;
          } else if (c === 13) {
            this.#state = S.SizeLf;
          } else {
            return { error: 'invalid chunk size' };
          }
          break;
        }
        case S.Ext:
          // Extensions are passed on, not interpreted; only their length and characters are checked.
          if (c === 13) this.#state = S.SizeLf;
          else if (c === 10 || (c < 0x20 && c !== 9) || c === 0x7f)
            return { error: 'invalid chunk extension' };
          break;
        case S.SizeLf:
          if (c !== 10) return { error: 'chunk size line without CRLF' };
          this.#line = 0;
          this.#digits = 0;
          if (this.#size === 0) {
            this.#state = S.TrailerStart;
          } else {
            this.#left = this.#size;
            this.#size = 0;
            this.#state = S.Data;
          }
          i++;
          continue;
        case S.Data: {
          const take = Math.min(this.#left, buf.length - i);
          this.#left -= take;
          this.payload += take;
          i += take;
          if (this.#left === 0) this.#state = S.DataCr;
          continue;
        }
        case S.DataCr:
          if (c !== 13) return { error: 'chunk data longer than its size' };
          this.#state = S.DataLf;
          break;
        case S.DataLf:
          if (c !== 10) return { error: 'chunk data without CRLF' };
          this.#state = S.Size;
          i++;
          continue;
        case S.TrailerStart:
          if (c === 13) {
            this.#state = S.FinalLf;
            break;
          }
          this.#state = S.TrailerLine;
          continue;
        case S.TrailerLine:
          if (c === 13) this.#state = S.TrailerLf;
          else if (c === 10 || (c < 0x20 && c !== 9) || c === 0x7f) return { error: 'invalid trailer field' };
          break;
        case S.TrailerLf:
          if (c !== 10) return { error: 'trailer field without CRLF' };
          this.#state = S.TrailerStart;
          i++;
          continue;
        case S.FinalLf:
          if (c !== 10) return { error: 'chunked body without final CRLF' };
          this.done = true;
          return { used: i + 1 - offset, done: true };
      }
      if (this.#state === S.Size || this.#state === S.Ext || this.#state === S.SizeLf) {
        if (++this.#line > this.limits.maxChunkLine) return { error: 'chunk size line too long' };
      } else if (this.#state === S.TrailerLine || this.#state === S.TrailerLf || this.#state === S.FinalLf) {
        if (++this.#trailers > this.limits.maxTrailers) return { error: 'trailers too large' };
      }
      i++;
    }
    return { used: i - offset, done: false };
  }
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}
