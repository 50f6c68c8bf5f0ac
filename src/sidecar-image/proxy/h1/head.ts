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
  /** The head's bytes as received, start line to blank line (set by the parser). */
  raw?: Buffer;
}

export interface ResponseHead {
  minor: 0 | 1;
  status: number;
  reason: string;
  headers: string[];
  /** The head's bytes as received, status line to blank line (set by the parser). */
  raw?: Buffer;
}

export type HeadResult<T> =
  | { kind: 'incomplete' }
  | { kind: 'error'; status: 400 | 431; reason: string }
  | { kind: 'head'; head: T /** Bytes of `buf` the head took, blank line included. */; length: number };

const CR = 13;
const LF = 10;
const SP = 32;
const HTAB = 9;
const COLON = 58;

// tchar (RFC 9110 §5.6.2) by byte.
const tchar = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~") tchar[c.charCodeAt(0)] = 1;
for (let c = 48; c <= 57; c++) tchar[c] = 1;
for (let c = 65; c <= 90; c++) tchar[c] = 1;
for (let c = 97; c <= 122; c++) tchar[c] = 1;

/** A field value byte: HTAB, SP, visible ASCII or obs-text; never CR, LF, NUL or other controls. */
const valueByte = (c: number) => c === HTAB || (c >= SP && c !== 0x7f);

function isToken(buf: Buffer, from: number, to: number): boolean {
  if (from >= to) return false;
  for (let i = from; i < to; i++) if (tchar[buf[i] as number] !== 1) return false;
  return true;
}

type StartLine<T> = (buf: Buffer, from: number, to: number) => T | string;

/**
 * Byte-level, in two passes over the head: one finds its end (checking that every LF follows a
 * CR) and counts its lines, one checks and slices each field straight from the buffer. A head
 * costs two strings per field and no intermediate lines, arrays or regular expressions (it runs
 * twice per request in each proxy).
 */
function parse<T extends { headers: string[]; raw?: Buffer }>(
  buf: Buffer,
  limits: HeadLimits,
  startLine: StartLine<T>,
): HeadResult<T> {
  const n = buf.length;
  // A server ignores empty lines before a request line (RFC 9112 §2.2); a client, before a status line.
  let from = 0;
  while (from + 1 < n && buf[from] === CR && buf[from + 1] === LF) from += 2;
  let end = -1;
  let firstLf = -1;
  let lfs = 0;
  for (let i = from; i < n; i++) {
    if (buf[i] !== LF) continue;
    if (i === from || buf[i - 1] !== CR) return { kind: 'error', status: 400, reason: 'bare LF in head' };
    if (firstLf === -1) firstLf = i;
    lfs++;
    if (buf[i - 2] === LF && i - 3 >= from) {
      end = i + 1;
      break;
    }
  }
  if (end === -1) {
    return n - from > limits.maxHeadBytes
      ? { kind: 'error', status: 431, reason: 'head too large' }
      : { kind: 'incomplete' };
  }
  if (end - from > limits.maxHeadBytes) return { kind: 'error', status: 431, reason: 'head too large' };
  const start = startLine(buf, from, firstLf - 1);
  if (typeof start === 'string') return { kind: 'error', status: 400, reason: start };
  // The LFs: the start line's, one per field line, and the blank line's.
  if (lfs - 2 > limits.maxHeaders) return { kind: 'error', status: 431, reason: 'too many header fields' };
  const headers = start.headers;
  const last = end - 2;
  let pos = firstLf + 1;
  while (pos < last) {
    // The name: tchars up to the colon. Whitespace before the colon and obs-fold (a line that
    // starts with whitespace) are not tchars.
    let i = pos;
    let c = buf[i] as number;
    while (tchar[c] === 1) c = buf[++i] as number;
    if (c !== COLON) {
      // No colon on the line at all, or one right at its start, is a field without a name.
      let colon = i;
      while (colon < last && buf[colon] !== COLON && buf[colon] !== CR) colon++;
      return buf[colon] !== COLON || colon === pos
        ? { kind: 'error', status: 400, reason: 'header field without a name' }
        : { kind: 'error', status: 400, reason: 'invalid header field name' };
    }
    if (i === pos) return { kind: 'error', status: 400, reason: 'header field without a name' };
    const name = buf.toString('latin1', pos, i);
    let v = i + 1;
    while (buf[v] === SP || buf[v] === HTAB) v++;
    let e = v;
    let ve = v;
    for (c = buf[e] as number; c !== CR; c = buf[++e] as number) {
      if (!valueByte(c)) return { kind: 'error', status: 400, reason: `invalid value for ${name}` };
      if (c !== SP && c !== HTAB) ve = e + 1;
    }
    // A CR not followed by LF is a control character inside the value.
    if (buf[e + 1] !== LF) return { kind: 'error', status: 400, reason: `invalid value for ${name}` };
    headers.push(name, buf.toString('latin1', v, ve));
    pos = e + 2;
  }
  start.raw = buf.subarray(from, end);
  return { kind: 'head', head: start, length: end };
}

const H = 72;
const T = 84;
const P = 80;
const SLASH = 47;
const ONE = 49;
const ZERO = 48;
const DOT = 46;

/** The minor version of `HTTP/1.x` at buf[at..at+8), or -1. */
function httpVersion(buf: Buffer, at: number): 0 | 1 | -1 {
  if (
    buf[at] !== H ||
    buf[at + 1] !== T ||
    buf[at + 2] !== T ||
    buf[at + 3] !== P ||
    buf[at + 4] !== SLASH ||
    buf[at + 5] !== ONE ||
    buf[at + 6] !== DOT
  )
    return -1;
  const minor = buf[at + 7];
  return minor === ONE ? 1 : minor === ZERO ? 0 : -1;
}

/** A request head from the bytes a client has sent so far. */
export function parseRequestHead(
  buf: Buffer,
  limits: HeadLimits = defaultHeadLimits,
): HeadResult<RequestHead> {
  return parse<RequestHead>(buf, limits, (b, from, to) => {
    const sp1 = b.indexOf(SP, from);
    const sp2 = sp1 === -1 ? -1 : b.indexOf(SP, sp1 + 1);
    // Exactly three parts: method SP target SP HTTP/1.x, nothing after.
    if (sp1 === -1 || sp2 === -1 || sp2 + 9 !== to || !isToken(b, from, sp1) || sp2 === sp1 + 1)
      return 'malformed request line';
    // Visible ASCII only: no spaces, controls or raw bytes above 0x7e in a request target.
    for (let i = sp1 + 1; i < sp2; i++) {
      const c = b[i] as number;
      if (c < 0x21 || c > 0x7e) return 'malformed request line';
    }
    const minor = httpVersion(b, sp2 + 1);
    if (minor === -1) return 'malformed request line';
    return {
      method: b.toString('latin1', from, sp1),
      target: b.toString('latin1', sp1 + 1, sp2),
      minor,
      headers: [],
    };
  });
}

/** A response head from the bytes an upstream has sent so far. */
export function parseResponseHead(
  buf: Buffer,
  limits: HeadLimits = defaultHeadLimits,
): HeadResult<ResponseHead> {
  return parse<ResponseHead>(buf, limits, (b, from, to) => {
    // HTTP/1.x SP 3DIGIT [SP reason], the status 100-999.
    const minor = httpVersion(b, from);
    const d0 = (b[from + 9] as number) - ZERO;
    const d1 = (b[from + 10] as number) - ZERO;
    const d2 = (b[from + 11] as number) - ZERO;
    if (
      minor === -1 ||
      to < from + 12 ||
      b[from + 8] !== SP ||
      !(d0 >= 1 && d0 <= 9 && d1 >= 0 && d1 <= 9 && d2 >= 0 && d2 <= 9) ||
      (to > from + 12 && b[from + 12] !== SP)
    )
      return 'malformed status line';
    for (let i = from + 13; i < to; i++) {
      if (!valueByte(b[i] as number)) return 'malformed status line';
    }
    return {
      minor,
      status: d0 * 100 + d1 * 10 + d2,
      reason: to > from + 13 ? b.toString('latin1', from + 13, to) : '',
      headers: [],
    };
  });
}

/** Whether a raw field name is `lower` (already lower case), without allocating. */
export function isField(name: string, lower: string): boolean {
  if (name.length !== lower.length) return false;
  if (name === lower) return true;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if ((c >= 65 && c <= 90 ? c + 32 : c) !== lower.charCodeAt(i)) return false;
  }
  return true;
}

const none: readonly string[] = Object.freeze([]);

/** Every value of a field (names compare case-insensitively), in order. */
export function fieldValues(headers: readonly string[], name: string): string[] {
  let out: string[] | undefined;
  for (let i = 0; i < headers.length; i += 2) {
    if (!isField(headers[i] ?? '', name)) continue;
    out ??= [];
    out.push(headers[i + 1] ?? '');
  }
  return out ?? (none as string[]);
}

/** The first value of a field, or undefined. */
export function fieldValue(headers: readonly string[], name: string): string | undefined {
  for (let i = 0; i < headers.length; i += 2) if (isField(headers[i] ?? '', name)) return headers[i + 1];
  return undefined;
}

/** Whether a list field (Connection...) holds `token` (lower case), case-insensitively, without allocating. */
export function hasToken(headers: readonly string[], name: string, token: string): boolean {
  for (let i = 0; i < headers.length; i += 2) {
    if (!isField(headers[i] ?? '', name)) continue;
    const v = headers[i + 1] ?? '';
    let from = 0;
    while (from <= v.length) {
      let to = v.indexOf(',', from);
      if (to === -1) to = v.length;
      let a = from;
      let b = to;
      while (a < b && (v.charCodeAt(a) === 32 || v.charCodeAt(a) === 9)) a++;
      while (b > a && (v.charCodeAt(b - 1) === 32 || v.charCodeAt(b - 1) === 9)) b--;
      if (b - a === token.length && isField(v.slice(a, b), token)) return true;
      from = to + 1;
    }
  }
  return false;
}

/** The comma-separated tokens of a list field (Connection, Transfer-Encoding), lower-cased. */
export function listTokens(headers: readonly string[], name: string): string[] {
  const values = fieldValues(headers, name);
  if (values.length === 0) return none as string[];
  const out: string[] = [];
  for (const v of values) {
    for (const t of v.split(',')) {
      const token = t.trim().toLowerCase();
      if (token) out.push(token);
    }
  }
  return out;
}

const noFields: ReadonlySet<string> = new Set();

/** Whether a raw field name is hop-by-hop (RFC 9110 §7.6.1), without lower-casing it. */
function isHopByHop(name: string): boolean {
  switch (name.length) {
    case 2:
      return isField(name, 'te');
    case 7:
      return isField(name, 'upgrade') || isField(name, 'trailer');
    case 10:
      return isField(name, 'connection') || isField(name, 'keep-alive');
    case 16:
      return isField(name, 'proxy-connection');
    case 19:
      return isField(name, 'proxy-authorization');
    default:
      return false;
  }
}

/** Whether a field is passed on: not hop-by-hop, not named by Connection, not dropped; framing always. */
function passes(name: string, connection: readonly string[], drop: ReadonlySet<string>): boolean {
  // The framing fields stay even when Connection names them: dropping one would desync the next hop.
  if (isField(name, 'content-length') || isField(name, 'transfer-encoding')) return true;
  return !isHopByHop(name) && !named(connection, name) && !named(drop, name);
}

/**
 * The fields a proxy passes on: all but hop-by-hop ones, those the Connection field names, and
 * `drop`. Transfer-Encoding and Content-Length stay: the body bytes are passed on with the
 * framing they arrived in, so the next hop must be told the same framing.
 */
export function endToEndFields(headers: readonly string[], drop: ReadonlySet<string> = noFields): string[] {
  const connection = listTokens(headers, 'connection');
  const out: string[] = [];
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i] ?? '';
    if (passes(name, connection, drop)) out.push(name, headers[i + 1] ?? '');
  }
  return out;
}

const crlf = Buffer.from('\r\n');

/**
 * A head passed on: its bytes as received, less the lines of hop-by-hop fields, of fields its
 * Connection names and of `drop` (lower-case names), with `extra` lines ("Name: value\r\n"...)
 * added at the end. The same head endToEndFields and a re-serialisation would give, without
 * making strings of the fields that stay; a head with nothing to change is its own bytes.
 */
export function passOn(
  head: { headers: string[]; raw?: Buffer },
  extra = '',
  drop: ReadonlySet<string> = noFields,
): Buffer | undefined {
  const raw = head.raw;
  if (!raw) return undefined;
  const headers = head.headers;
  const connection = listTokens(headers, 'connection');
  const parts: Buffer[] = [];
  let keptFrom = 0;
  let pos = raw.indexOf(LF) + 1;
  for (let i = 0; i < headers.length; i += 2) {
    const next = raw.indexOf(LF, pos) + 1;
    if (!passes(headers[i] ?? '', connection, drop)) {
      if (pos > keptFrom) parts.push(raw.subarray(keptFrom, pos));
      keptFrom = next;
    }
    pos = next;
  }
  if (keptFrom === 0 && !extra) return raw;
  if (pos > keptFrom) parts.push(raw.subarray(keptFrom, pos));
  if (extra) parts.push(Buffer.from(extra, 'latin1'));
  parts.push(crlf);
  return Buffer.concat(parts);
}

/** Whether `name` is one of `lower` (lower-case names), case-insensitively. */
function named(lower: readonly string[] | ReadonlySet<string>, name: string): boolean {
  for (const l of lower) if (isField(name, l)) return true;
  return false;
}

/**
 * A response head on its way to the client: passed on (passOn) when it is HTTP/1.1 and `fields`
 * does not replace its fields, else re-serialised from `fields` (by default its end-to-end ones);
 * `close` adds Connection: close either way.
 */
export function responseHeadOut(head: ResponseHead, close: boolean, fields?: string[]): Buffer {
  if (!fields && head.minor === 1) {
    const passed = passOn(head, close ? 'Connection: close\r\n' : '');
    if (passed) return passed;
  }
  const out = fields ?? endToEndFields(head.headers);
  if (close) out.push('Connection', 'close');
  return responseHeadBytes(head, out);
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
