import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { classify, sniff } from './sniff.js';

describe('classify', () => {
  it.each([
    ['TLS ClientHello', Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00]), 'tls'],
    ['HTTP/1.1 request', Buffer.from('GET / HTTP/1.1\r\n'), 'http1'],
    ['HTTP/1.1 PATCH', Buffer.from('PATCH /x HTTP/1.1\r\n'), 'http1'],
    ['h2c preface', Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00'), 'h2'],
    ['a binary protocol', Buffer.from([0x00, 0x00, 0x00, 0x08, 0x04, 0xd2]), 'tcp'],
    ['a lowercase word', Buffer.from('get / HTTP/1.1'), 'tcp'],
    ['a record byte 22 that is not TLS', Buffer.from([0x16, 0x01]), 'tcp'],
  ])('%s', (_name, buf, kind) => {
    expect(classify(buf)).toBe(kind);
  });

  it.each([
    ['one TLS byte', Buffer.from([0x16])],
    ['a method prefix', Buffer.from('PO')],
    ['part of the h2 preface', Buffer.from('PRI * HTTP/2')],
    ['nothing', Buffer.alloc(0)],
  ])('asks for more after %s', (_name, buf) => {
    expect(classify(buf)).toBeUndefined();
  });
});

describe('sniff', () => {
  it('waits across chunks and puts every byte back', async () => {
    const s = new PassThrough();
    const result = sniff(s, 1_000);
    s.write('PO');
    s.write('ST /x HTTP/1.1\r\n');
    expect(await result).toBe('http1');
    s.end();
    const rest: Buffer[] = [];
    for await (const c of s) rest.push(c as Buffer);
    expect(Buffer.concat(rest).toString()).toBe('POST /x HTTP/1.1\r\n');
  });

  it('calls a silent client TCP after the timeout', async () => {
    const s = new PassThrough();
    const t0 = Date.now();
    expect(await sniff(s, 50)).toBe('tcp');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(45);
  });
});
