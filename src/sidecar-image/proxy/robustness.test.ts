import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startPair } from './testing/pair.js';

const inputs: Buffer[] = [
  Buffer.from([0x16, 0x03, 0x01, 0xff, 0xff, 0x01]), // a ClientHello header promising more than comes
  Buffer.from([0x16, 0x03, 0x03, 0x00, 0x05, 0x02, 0x00, 0x00, 0x01, 0x00]), // a record of the wrong type
  Buffer.from('GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc'), // body cut short
  Buffer.from('POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'), // bad chunk size
  Buffer.from('GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n'), // conflicting lengths
  Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x09'), // h2 preface, then a broken frame
  Buffer.from(`GET /${'a'.repeat(70_000)} HTTP/1.1\r\n\r\n`), // an enormous request line
];

/** Sends `bytes`, then either closes, half-closes or resets. */
function hit(port: number, host: string, bytes: Buffer, ending: number): Promise<void> {
  return new Promise((resolve) => {
    const s = connect(port, host, () => {
      s.write(bytes);
      if (ending === 0) s.end();
      else if (ending === 1) setTimeout(() => s.resetAndDestroy(), 5);
      else setTimeout(() => s.destroy(), 20);
    });
    s.on('error', () => {});
    s.on('close', () => resolve());
    s.resume();
  });
}

describe('bad input', () => {
  const pairs: { close: () => void }[] = [];
  afterEach(() => {
    for (const p of pairs.splice(0)) p.close();
  });

  it('survives garbage, truncation and resets on both listeners, then serves normally', async () => {
    const pair = await startPair({ app: (_req, res) => res.end('still here') });
    pairs.push(pair);
    const inboundPort = pair.serverInboundPort;
    const sends: Promise<void>[] = [];
    for (let i = 0; i < 150; i++) {
      const bytes =
        i < inputs.length * 3 ? (inputs[i % inputs.length] as Buffer) : randomBytes(1 + (i % 64) * 17);
      sends.push(hit(pair.port, '127.0.0.1', bytes, i % 3));
      sends.push(hit(inboundPort, '127.0.0.2', bytes, (i + 1) % 3));
    }
    await Promise.all(sends);
    const body = await new Promise<string>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: pair.port, path: '/' }, (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve(text));
      });
      req.on('error', reject);
      req.end();
    });
    expect(body).toBe('still here');
  }, 20_000);
});
