import { createServer, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { offeredAlpn } from './client-hello.js';
import { listen } from './testing/harness.js';

/** The first bytes a real node TLS client sends with `alpn`. */
async function clientHello(alpn: string[] | undefined): Promise<Buffer> {
  let resolveBytes: (b: Buffer) => void = () => {};
  const got = new Promise<Buffer>((r) => (resolveBytes = r));
  const server = createServer((s: Socket) => {
    let buf = Buffer.alloc(0);
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 5 && buf.length >= 5 + buf.readUInt16BE(3)) {
        resolveBytes(buf);
        s.destroy();
      }
    });
  });
  const port = await listen(server);
  const c = tlsConnect({ host: '127.0.0.1', port, ALPNProtocols: alpn, rejectUnauthorized: false });
  c.on('error', () => {});
  const bytes = await got;
  server.close();
  return bytes;
}

describe('offeredAlpn', () => {
  it('reads the ALPN list of a real ClientHello', async () => {
    expect(offeredAlpn(await clientHello(['trellis-tcp']))).toEqual(['trellis-tcp']);
    expect(offeredAlpn(await clientHello(['h2', 'http/1.1']))).toEqual(['h2', 'http/1.1']);
  });

  it('is empty when the client offers no ALPN', async () => {
    expect(offeredAlpn(await clientHello(undefined))).toEqual([]);
  });

  it('is undefined for a truncated record or something else', async () => {
    const hello = await clientHello(['h2']);
    expect(offeredAlpn(hello.subarray(0, 40))).toBeUndefined();
    expect(offeredAlpn(Buffer.from('GET / HTTP/1.1\r\n'))).toBeUndefined();
  });
});
