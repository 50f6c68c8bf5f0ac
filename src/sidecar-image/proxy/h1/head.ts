/**
 * HTTP/1.1 message heads (RFC 9112 §2-5), parsed from the bytes received so far. Strict where
 * leniency lets two parsers disagree about where a message ends (request smuggling): bare LF,
 * obs-fold, whitespace before the colon, control characters and malformed start lines are 400s.
 */

export interface HeadLimits {
  /** Start line plus header fields plus the blank line; beyond this the answer is 431. */
  maxHeadBytes: number;
  /** Header field lines; more is 431. */
  maxHeaders: number;
}

export const defaultHeadLimits: HeadLimits = { maxHeadBytes: 16_384, maxHeaders: 100 };

export interface RequestHead {
  method: string;
  target: string;
  /** 0 for HTTP/1.0, 1 for HTTP/1.1. */
  minor: 0 | 1;
  /** Raw fields as received: name, value, name, value... (names keep their case). */
  headers: string[];
}

export interface ResponseHead {
  minor: 0 | 1;
  status: number;
  reason: string;
  headers: string[];
}

export type HeadResult<T> =
  | { kind: 'incomplete' }
  | { kind: 'error'; status: 400 | 431; reason: string }
  | { kind: 'head'; head: T /** Bytes of `buf` the head took, blank line included. */; length: number };

const token = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// Visible ASCII only: no spaces, controls or raw bytes above 0x7e in a request target.
const target = /^[\x21-\x7e]+$/;
// Field values: HTAB, SP, visible ASCII and obs-text; never CR, LF, NUL or other controls.
const fieldValue = /^[\t\x20-\x7e\x80-\xff]*$/;
const version = /^HTTP\/1\.([01])$/;

const CR = 13;
const LF = 10;

/** Index just past the blank line that ends the head, or -1; bare LFs are reported as -2. */
function endOfHead(buf: Buffer, from: number): number {
  const end = buf.indexOf('\r\n\r\n', from, 'latin1');
  const bareLf = buf.indexOf(LF, from);
  // Every LF before the end must follow a CR.
  for (let i = bareLf; i !== -1 && (end === -1 || i < end + 4); i = buf.indexOf(LF, i + 1)) {
    if (i === from || buf[i - 1] !== CR) return -2;
  }
  return end === -1 ? -1 : end + 4;
}

function parse<T>(
  buf: Buffer,
  limits: HeadLimits,
  startLine: (line: string) => T | string,
  withHeaders: (start: T, headers: string[]) => T,
): HeadResult<T> {
  // A server ignores empty lines before a request line (RFC 9112 §2.2); a client, before a status line.
  let from = 0;
  while (from + 1 < buf.length && buf[from] === CR && buf[from + 1] === LF) from += 2;
  const end = endOfHead(buf, from);
  if (end === -2) return { kind: 'error', status: 400, reason: 'bare LF in head' };
  if (end === -1) {
    return buf.length - from > limits.maxHeadBytes
      ? { kind: 'error', status: 431, reason: 'head too large' }
      : { kind: 'incomplete' };
  }
  if (end - from > limits.maxHeadBytes) return { kind: 'error', status: 431, reason: 'head too large' };
  const lines = buf.toString('latin1', from, end - 4).split('\r\n');
  const start = startLine(lines[0] ?? '');
  if (typeof start === 'string') return { kind: 'error', status: 400, reason: start };
  if (lines.length - 1 > limits.maxHeaders)
    return { kind: 'error', status: 431, reason: 'too many header fields' };
  const headers: string[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const colon = line.indexOf(':');
    if (colon <= 0) return { kind: 'error', status: 400, reason: 'header field without a name' };
    const name = line.slice(0, colon);
    // Also refuses obs-fold (a line starting with whitespace) and whitespace before the colon.
    if (!token.test(name)) return { kind: 'error', status: 400, reason: `invalid header field name` };
    const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '');
    if (!fieldValue.test(value)) return { kind: 'error', status: 400, reason: `invalid value for ${name}` };
    headers.push(name, value);
  }
  return { kind: 'head', head: withHeaders(start, headers), length: end };
}

/** A request head from the bytes a client has sent so far. */
export function parseRequestHead(
  buf: Buffer,
  limits: HeadLimits = defaultHeadLimits,
): HeadResult<RequestHead> {
  return parse<RequestHead>(
    buf,
    limits,
    (line) => {
      const parts = line.split(' ');
      if (parts.length !== 3) return 'malformed request line';
      const [method = '', tgt = '', ver = ''] = parts;
      const v = version.exec(ver);
      if (!token.test(method) || !target.test(tgt) || !v) return 'malformed request line';
      return { method, target: tgt, minor: v[1] === '1' ? 1 : 0, headers: [] };
    },
    (start, headers) => ({ ...start, headers }),
  );
}

/** A response head from the bytes an upstream has sent so far. */
export function parseResponseHead(
  buf: Buffer,
  limits: HeadLimits = defaultHeadLimits,
): HeadResult<ResponseHead> {
  return parse<ResponseHead>(
    buf,
    limits,
    (line) => {
      const m = /^HTTP\/1\.([01]) ([1-9]\d\d)(?: ([\t\x20-\x7e\x80-\xff]*))?$/.exec(line);
      if (!m) return 'malformed status line';
      return { minor: m[1] === '1' ? 1 : 0, status: Number(m[2]), reason: m[3] ?? '', headers: [] };
    },
    (start, headers) => ({ ...start, headers }),
  );
}

/** Every value of a field (names compare case-insensitively), in order. */
export function fieldValues(headers: readonly string[], name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < headers.length; i += 2) {
    if ((headers[i] ?? '').toLowerCase() === name) out.push(headers[i + 1] ?? '');
  }
  return out;
}

/** The comma-separated tokens of a list field (Connection, Transfer-Encoding), lower-cased. */
export function listTokens(headers: readonly string[], name: string): string[] {
  return fieldValues(headers, name)
    .flatMap((v) => v.split(','))
    .map((t) => t.trim().toLowerCase())
    .filter(Boolean);
}

/** Fields describing one hop's connection (RFC 9110 §7.6.1), never forwarded. */
const hopByHop = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'upgrade',
  'proxy-authorization',
]);

/**
 * The fields a proxy passes on: all but hop-by-hop ones, those the Connection field names, and
 * `drop`. Transfer-Encoding and Content-Length stay: the body bytes are passed on with the
 * framing they arrived in, so the next hop must be told the same framing.
 */
export function endToEndFields(headers: readonly string[], drop: ReadonlySet<string> = new Set()): string[] {
  const named = new Set(listTokens(headers, 'connection'));
  const out: string[] = [];
  for (let i = 0; i < headers.length; i += 2) {
    const lower = (headers[i] ?? '').toLowerCase();
    // The framing fields stay even when Connection names them: dropping one would desync the next hop.
    const framing = lower === 'content-length' || lower === 'transfer-encoding';
    if (!framing && (hopByHop.has(lower) || named.has(lower) || drop.has(lower))) continue;
    out.push(headers[i] ?? '', headers[i + 1] ?? '');
  }
  return out;
}

/** Serialises a request head with the given fields (latin1, as received). */
export function requestHeadBytes(head: RequestHead, headers: readonly string[]): Buffer {
  let text = `${head.method} ${head.target} HTTP/1.${head.minor}\r\n`;
  for (let i = 0; i < headers.length; i += 2) text += `${headers[i]}: ${headers[i + 1]}\r\n`;
  return Buffer.from(`${text}\r\n`, 'latin1');
}

/** Serialises a response head with the given fields (always HTTP/1.1 towards the client). */
export function responseHeadBytes(head: ResponseHead, headers: readonly string[]): Buffer {
  let text = `HTTP/1.1 ${head.status} ${head.reason}\r\n`;
  for (let i = 0; i < headers.length; i += 2) text += `${headers[i]}: ${headers[i + 1]}\r\n`;
  return Buffer.from(`${text}\r\n`, 'latin1');
}
