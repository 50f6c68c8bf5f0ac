import { describe, expect, it } from 'vitest';
import { BodyReader, type Feed, type Framing, keepsAlive, requestFraming, responseFraming } from './body.js';
import type { RequestHead, ResponseHead } from './head.js';

const request = (headers: string[], minor: 0 | 1 = 1): RequestHead => ({
  method: 'POST',
  target: '/',
  minor,
  headers,
});
const response = (status: number, headers: string[]): ResponseHead => ({
  minor: 1,
  status,
  reason: '',
  headers,
});

describe('requestFraming', () => {
  it.each<[string[], Framing]>([
    [[], { kind: 'none' }],
    [['Content-Length', '0'], { kind: 'none' }],
    [['Content-Length', '12'], { kind: 'length', length: 12 }],
    [['Content-Length', '5', 'content-length', '5'], { kind: 'length', length: 5 }],
    [['Content-Length', '5, 5'], { kind: 'length', length: 5 }],
    [['Transfer-Encoding', 'chunked'], { kind: 'chunked' }],
    [['Transfer-Encoding', 'gzip, Chunked'], { kind: 'chunked' }],
    [['Transfer-Encoding', 'gzip', 'Transfer-Encoding', 'chunked'], { kind: 'chunked' }],
  ])('%j → %j', (headers, framing) => {
    expect(requestFraming(request(headers))).toEqual(framing);
  });

  it.each<[string[], number, string, (0 | 1)?]>([
    [['Content-Length', '5', 'Content-Length', '6'], 400, 'invalid Content-Length'],
    [['Content-Length', '-1'], 400, 'invalid Content-Length'],
    [['Content-Length', '0x10'], 400, 'invalid Content-Length'],
    [['Content-Length', ''], 400, 'invalid Content-Length'],
    [['Content-Length', '1234567890123456'], 400, 'invalid Content-Length'],
    [
      ['Transfer-Encoding', 'chunked', 'Content-Length', '3'],
      400,
      'both Transfer-Encoding and Content-Length',
    ],
    [['Transfer-Encoding', 'chunked, gzip'], 400, 'unsupported Transfer-Encoding'],
    [['Transfer-Encoding', 'chunked, chunked'], 400, 'unsupported Transfer-Encoding'],
    [['Transfer-Encoding', 'gzip'], 501, 'unsupported Transfer-Encoding'],
    [['Transfer-Encoding', 'chunked'], 400, 'Transfer-Encoding in HTTP/1.0', 0],
  ])('refuses %j with %d', (headers, status, reason, minor = 1) => {
    expect(requestFraming(request(headers, minor))).toEqual({ kind: 'error', status, reason });
  });
});

describe('responseFraming', () => {
  it.each<[number, string[], string, Framing]>([
    [200, ['Content-Length', '5'], 'GET', { kind: 'length', length: 5 }],
    [200, ['Content-Length', '5'], 'HEAD', { kind: 'none' }],
    [200, ['Content-Length', '0'], 'GET', { kind: 'none' }],
    [204, [], 'GET', { kind: 'none' }],
    [304, ['Content-Length', '5'], 'GET', { kind: 'none' }],
    [100, [], 'GET', { kind: 'none' }],
    [200, ['Transfer-Encoding', 'chunked'], 'GET', { kind: 'chunked' }],
    [200, ['Transfer-Encoding', 'gzip'], 'GET', { kind: 'close' }],
    [200, [], 'GET', { kind: 'close' }],
  ])('%d %j to %s → %j', (status, headers, method, framing) => {
    expect(responseFraming(response(status, headers), method)).toEqual(framing);
  });

  it('refuses conflicting lengths', () => {
    expect(responseFraming(response(200, ['Content-Length', '1,2']), 'GET')).toEqual({
      kind: 'error',
      status: 400,
      reason: 'invalid Content-Length',
    });
  });
});

describe('keepsAlive', () => {
  it.each<[0 | 1, string[], boolean]>([
    [1, [], true],
    [1, ['Connection', 'close'], false],
    [1, ['Connection', 'Upgrade, Close'], false],
    [0, [], false],
    [0, ['Connection', 'keep-alive'], true],
  ])('HTTP/1.%d %j → %s', (minor, headers, alive) => {
    expect(keepsAlive({ minor, headers })).toBe(alive);
  });
});

/** Feeds `parts` in order; returns the bytes taken as text, done, and any error. */
function feedAll(framing: Framing, parts: string[]) {
  const r = new BodyReader(framing, { maxChunkLine: 32, maxTrailers: 64 });
  let taken = '';
  let last: Feed = { used: 0, done: r.done };
  for (const p of parts) {
    const buf = Buffer.from(p, 'latin1');
    last = r.feed(buf);
    if ('error' in last) return { error: last.error };
    taken += buf.subarray(0, last.used).toString('latin1');
    if (last.done) break;
  }
  return { taken, done: r.done };
}

/** Every way of cutting `text` in two, plus one byte at a time. */
function splits(text: string): string[][] {
  const out: string[][] = [[text], [...text]];
  for (let i = 1; i < text.length; i++) out.push([text.slice(0, i), text.slice(i)]);
  return out;
}

describe('BodyReader', () => {
  it('takes exactly Content-Length bytes and leaves the rest (the next pipelined request)', () => {
    for (const parts of splits('hello world GET / HTTP/1.1')) {
      expect(feedAll({ kind: 'length', length: 11 }, parts)).toEqual({ taken: 'hello world', done: true });
    }
  });

  it('is done at once for no body, and reads until close when close-delimited', () => {
    expect(feedAll({ kind: 'none' }, ['GET / HTTP/1.1'])).toEqual({ taken: '', done: true });
    const r = new BodyReader({ kind: 'close' });
    expect(r.feed(Buffer.from('abc'))).toEqual({ used: 3, done: false });
    expect(r.end()).toBe(true);
    const truncated = new BodyReader({ kind: 'length', length: 5 });
    truncated.feed(Buffer.from('ab'));
    expect(truncated.end()).toBe(false);
  });

  const chunked = '5\r\nhello\r\n6;name=val\r\n world\r\nA\r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\n';
  it('counts the content without framing or trailers as payload, however the bytes are split', () => {
    for (const parts of splits(chunked)) {
      const r = new BodyReader({ kind: 'chunked' });
      for (const p of parts) r.feed(Buffer.from(p, 'latin1'));
      expect([r.done, r.payload]).toEqual([true, 'hello world0123456789'.length]);
    }
    const length = new BodyReader({ kind: 'length', length: 4 });
    length.feed(Buffer.from('abcdef'));
    const close = new BodyReader({ kind: 'close' });
    close.feed(Buffer.from('abc'));
    expect([length.payload, close.payload]).toEqual([4, 3]);
  });

  it('finds the end of a chunked body, framing and trailers included, however it is split', () => {
    for (const parts of splits(`${chunked}NEXT`)) {
      expect(feedAll({ kind: 'chunked' }, parts)).toEqual({ taken: chunked, done: true });
    }
  });

  it('accepts upper- and lower-case hex and an empty trailer section', () => {
    const body = 'a\r\n0123456789\r\nA\r\n0123456789\r\n0\r\n\r\n';
    expect(feedAll({ kind: 'chunked' }, [body])).toEqual({ taken: body, done: true });
  });

  it('waits for more while the body is unfinished', () => {
    expect(feedAll({ kind: 'chunked' }, ['5\r\nhel'])).toEqual({ taken: '5\r\nhel', done: false });
    expect(feedAll({ kind: 'chunked' }, ['0\r\n'])).toEqual({ taken: '0\r\n', done: false });
  });

  it.each([
    ['x\r\n', 'invalid chunk size'],
    ['\r\n', 'invalid chunk size'],
    ['-1\r\n', 'invalid chunk size'],
    [' 5\r\nhello\r\n', 'invalid chunk size'],
    ['5 \r\nhello\r\n', 'invalid chunk size'],
    ['5\nhello\r\n', 'invalid chunk size'],
    ['5\r\rhello', 'chunk size line without CRLF'],
    ['5\r\nhelloX\r\n', 'chunk data longer than its size'],
    ['5\r\nhello\rX', 'chunk data without CRLF'],
    ['5\r\nhello\n', 'chunk data longer than its size'],
    ['1000000000000\r\n', 'chunk size too large'],
    ['5;a\nb\r\nhello\r\n', 'invalid chunk extension'],
    ['5;a\x00\r\nhello\r\n', 'invalid chunk extension'],
    [`5;${'e'.repeat(40)}\r\nhello\r\n`, 'chunk size line too long'],
    ['0\r\nX: a\nb\r\n\r\n', 'invalid trailer field'],
    ['0\r\nX: a\rb\r\n\r\n', 'trailer field without CRLF'],
    ['0\r\n\rX', 'chunked body without final CRLF'],
    [`0\r\nX: ${'t'.repeat(70)}\r\n\r\n`, 'trailers too large'],
  ])('refuses malformed or oversized chunked input %j', (text, error) => {
    for (const parts of splits(text)) expect(feedAll({ kind: 'chunked' }, parts)).toEqual({ error });
  });
});
