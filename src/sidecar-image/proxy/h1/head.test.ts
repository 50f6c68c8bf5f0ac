import { describe, expect, it } from 'vitest';
import {
  endToEndFields,
  fieldValue,
  fieldValues,
  type HeadLimits,
  hasToken,
  isField,
  parseRequestHead,
  parseResponseHead,
  passOn,
  requestHeadBytes,
  responseHeadBytes,
} from './head.js';

const limits: HeadLimits = { maxHeadBytes: 256, maxHeaders: 4 };
const req = (text: string) => parseRequestHead(Buffer.from(text, 'latin1'), limits);
const res = (text: string) => parseResponseHead(Buffer.from(text, 'latin1'), limits);

describe('parseRequestHead', () => {
  it('parses a request head and reports how many bytes it took', () => {
    const text = 'GET /a?b=1 HTTP/1.1\r\nHost: x\r\nX-Two:  spaced value \t\r\n\r\nBODY';
    expect(req(text)).toEqual({
      kind: 'head',
      head: {
        method: 'GET',
        target: '/a?b=1',
        minor: 1,
        headers: ['Host', 'x', 'X-Two', 'spaced value'],
        raw: Buffer.from(text.slice(0, -4), 'latin1'),
      },
      length: text.length - 4,
    });
  });

  it('skips empty lines before the request line and reads HTTP/1.0', () => {
    expect(req('\r\n\r\nPOST * HTTP/1.0\r\n\r\n')).toMatchObject({
      kind: 'head',
      head: { method: 'POST', target: '*', minor: 0, headers: [] },
      length: 23,
    });
  });

  it.each([
    ['GET / HTTP/1.1\r\nHost: x\r\n', 'head not finished'],
    ['GET / HTTP/1.1\r\nHost: x\r\n\r', 'blank line not finished'],
    ['GE', 'request line not finished'],
    ['', 'nothing yet'],
  ])('waits for more bytes: %j (%s)', (text) => {
    expect(req(text)).toEqual({ kind: 'incomplete' });
  });

  it.each([
    ['GET / HTTP/1.1\nHost: x\r\n\r\n', 'bare LF in head'],
    ['GET / HTTP/1.1\r\nHost: x\n\r\n', 'bare LF in head'],
    ['\nGET / HTTP/1.1\r\n\r\n', 'bare LF in head'],
    ['GET  / HTTP/1.1\r\n\r\n', 'malformed request line'],
    ['GET / HTTP/1.1 \r\n\r\n', 'malformed request line'],
    ['GET /a b HTTP/1.1\r\n\r\n', 'malformed request line'],
    ['GET / HTTP/2.0\r\n\r\n', 'malformed request line'],
    ['GET / http/1.1\r\n\r\n', 'malformed request line'],
    ['G(T / HTTP/1.1\r\n\r\n', 'malformed request line'],
    ['GET /\x7f HTTP/1.1\r\n\r\n', 'malformed request line'],
    ['GET /\xe9 HTTP/1.1\r\n\r\n', 'malformed request line'],
    ['GET / HTTP/1.1\r\nHost : x\r\n\r\n', 'invalid header field name'],
    ['GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n', 'header field without a name'],
    ['GET / HTTP/1.1\r\nA: b\r\n\tc: d\r\n\r\n', 'invalid header field name'],
    ['GET / HTTP/1.1\r\n: x\r\n\r\n', 'header field without a name'],
    ['GET / HTTP/1.1\r\nNoColon\r\n\r\n', 'header field without a name'],
    ['GET / HTTP/1.1\r\nX: a\x00b\r\n\r\n', 'invalid value for X'],
    ['GET / HTTP/1.1\r\nX: a\rb\r\n\r\n', 'invalid value for X'],
  ])('refuses malformed input with 400: %j', (text, reason) => {
    expect(req(text)).toEqual({ kind: 'error', status: 400, reason });
  });

  it('answers 431 to a head over the byte limit, finished or not', () => {
    const long = `GET / HTTP/1.1\r\nX: ${'a'.repeat(300)}`;
    expect(req(long)).toEqual({ kind: 'error', status: 431, reason: 'head too large' });
    expect(req(`${long}\r\n\r\n`)).toEqual({ kind: 'error', status: 431, reason: 'head too large' });
    // Exactly at the limit is fine.
    const fits = `GET / HTTP/1.1\r\nX: ${'a'.repeat(256 - 16 - 3 - 4)}\r\n\r\n`;
    expect(fits.length).toBe(256);
    expect(req(fits).kind).toBe('head');
  });

  it('answers 431 to more header fields than allowed', () => {
    const fields = (n: number) => Array.from({ length: n }, (_, i) => `H${i}: v\r\n`).join('');
    expect(req(`GET / HTTP/1.1\r\n${fields(4)}\r\n`).kind).toBe('head');
    expect(req(`GET / HTTP/1.1\r\n${fields(5)}\r\n`)).toEqual({
      kind: 'error',
      status: 431,
      reason: 'too many header fields',
    });
  });

  it('gives the same answer however the bytes were split', () => {
    const text = 'PUT /x HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc';
    const whole = req(text);
    for (let cut = 0; cut < text.length; cut++) {
      const first = req(text.slice(0, cut));
      // Before the blank line is complete nothing is decided; after it, the same head.
      expect(first.kind === 'incomplete' || JSON.stringify(first) === JSON.stringify(whole)).toBe(true);
    }
    expect(req(text.slice(0, text.length - 3)).kind).toBe('head');
  });
});

describe('parseResponseHead', () => {
  it.each([
    ['HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n', { minor: 1, status: 200, reason: 'OK' }],
    ['HTTP/1.0 404 Not Found\r\n\r\n', { minor: 0, status: 404, reason: 'Not Found' }],
    ['HTTP/1.1 204 \r\n\r\n', { minor: 1, status: 204, reason: '' }],
    ['HTTP/1.1 204\r\n\r\n', { minor: 1, status: 204, reason: '' }],
  ])('parses %j', (text, head) => {
    expect(res(text)).toMatchObject({ kind: 'head', head });
  });

  it.each([
    'HTTP/1.1 20 OK\r\n\r\n',
    'HTTP/1.1 099 Low\r\n\r\n',
    'HTTP/2 200 OK\r\n\r\n',
    'HTTP/1.1  200 OK\r\n\r\n',
    'HTTP/1.1 200 O\x01K\r\n\r\n',
    'SSH-2.0-OpenSSH\r\n\r\n',
  ])('refuses a malformed status line: %j', (text) => {
    expect(res(text)).toEqual({ kind: 'error', status: 400, reason: 'malformed status line' });
  });
});

describe('endToEndFields', () => {
  it('drops hop-by-hop fields and those Connection names, keeps the framing fields', () => {
    const fields = [
      'Host',
      'h',
      'Connection',
      'keep-alive, X-Hop, Content-Length',
      'Keep-Alive',
      'timeout=5',
      'X-Hop',
      '1',
      'Transfer-Encoding',
      'chunked',
      'Content-Length',
      '3',
      'Upgrade',
      'websocket',
      'traceparent',
      'old',
    ];
    expect(endToEndFields(fields, new Set(['traceparent']))).toEqual([
      'Host',
      'h',
      'Transfer-Encoding',
      'chunked',
      'Content-Length',
      '3',
    ]);
  });
});

describe('field lookups', () => {
  const fields = ['Content-Type', 'a', 'connection', ' Keep-Alive ,Upgrade', 'X-Two', '1', 'x-two', '2'];

  it('compares names case-insensitively against a lower-case name', () => {
    expect([isField('Content-Type', 'content-type'), isField('content-typ', 'content-type')]).toEqual([
      true,
      false,
    ]);
    expect(isField('CONTENT-TYPE', 'content-type')).toBe(true);
    expect(isField('Content_Type', 'content-type')).toBe(false);
  });

  it('finds the first value or every value of a field', () => {
    expect(fieldValue(fields, 'x-two')).toBe('1');
    expect(fieldValues(fields, 'x-two')).toEqual(['1', '2']);
    expect(fieldValue(fields, 'host')).toBeUndefined();
    expect(fieldValues(fields, 'host')).toEqual([]);
  });

  it('finds a token in a list field whatever its case and spacing, and not a prefix of one', () => {
    expect(hasToken(fields, 'connection', 'keep-alive')).toBe(true);
    expect(hasToken(fields, 'connection', 'upgrade')).toBe(true);
    expect(hasToken(fields, 'connection', 'close')).toBe(false);
    expect(hasToken(fields, 'connection', 'keep')).toBe(false);
    expect(hasToken(['Connection', ''], 'connection', 'close')).toBe(false);
  });
});

describe('passOn', () => {
  const parsed = (text: string) => {
    const r = parseRequestHead(Buffer.from(text, 'latin1'), { maxHeadBytes: 1024, maxHeaders: 20 });
    if (r.kind !== 'head') throw new Error(r.kind);
    return r.head;
  };

  it('is the bytes as received when nothing is dropped or added', () => {
    const head = parsed('GET / HTTP/1.1\r\nHost: a\r\nX-y:  b \r\n\r\n');
    expect(passOn(head)).toBe(head.raw);
  });

  it('leaves out hop-by-hop lines, those Connection names and `drop`, keeps framing, and appends `extra`', () => {
    const head = parsed(
      'GET / HTTP/1.1\r\nHost: a\r\nConnection: x-gone, Content-Length\r\nX-Gone: 1\r\nContent-Length: 0\r\nKeep-Alive: 5\r\nTraceparent: t\r\nX-Stay: 2\r\n\r\n',
    );
    expect(passOn(head, 'traceparent: new\r\n', new Set(['traceparent']))?.toString('latin1')).toBe(
      'GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\nX-Stay: 2\r\ntraceparent: new\r\n\r\n',
    );
  });

  it('gives what endToEndFields and serialising would, field for field', () => {
    const head = parsed('POST /p HTTP/1.1\r\nTE: trailers\r\nHost: h\r\nUpgrade: x\r\nAccept: */*\r\n\r\n');
    expect(passOn(head)?.toString('latin1')).toBe(
      requestHeadBytes(head, endToEndFields(head.headers)).toString('latin1'),
    );
  });
});

describe('serialising heads', () => {
  it('writes the request line, the given fields and the blank line', () => {
    const head = { method: 'GET', target: '/x', minor: 1 as const, headers: [] };
    expect(requestHeadBytes(head, ['Host', 'h', 'A', 'b']).toString('latin1')).toBe(
      'GET /x HTTP/1.1\r\nHost: h\r\nA: b\r\n\r\n',
    );
    const r = { minor: 0 as const, status: 503, reason: 'Busy', headers: [] };
    expect(responseHeadBytes(r, ['Content-Length', '0']).toString('latin1')).toBe(
      'HTTP/1.1 503 Busy\r\nContent-Length: 0\r\n\r\n',
    );
  });
});
