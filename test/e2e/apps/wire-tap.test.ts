import type { AddressInfo } from 'node:net';
import net from 'node:net';
import tls from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { createTap } from './wire-tap.js';

const tap = createTap();
afterEach(() => {
  tap.seen.length = 0;
});

const listen = async () => {
  await new Promise<void>((r) => tap.tcp.listen(0, '127.0.0.1', r));
  await new Promise<void>((r) => tap.control.listen(0, '127.0.0.1', r));
  return {
    tcpPort: (tap.tcp.address() as AddressInfo).port,
    control: `http://127.0.0.1:${(tap.control.address() as AddressInfo).port}`,
  };
};

describe('wire-tap', () => {
  it('keeps the first bytes of plaintext and of a TLS ClientHello, and lists them', async () => {
    const { tcpPort, control } = await listen();
    const plain = net.connect(tcpPort, '127.0.0.1');
    plain.end('GET / HTTP/1.1\r\n\r\n');
    await new Promise((r) => plain.on('close', r));
    const secure = tls.connect({ port: tcpPort, host: '127.0.0.1', ALPNProtocols: ['trellis-http/1.1'] });
    await new Promise((r) => secure.on('error', r));
    const seen = ((await (await fetch(`${control}/seen`)).json()) as string[]).map((b) =>
      Buffer.from(b, 'base64'),
    );
    expect(seen).toHaveLength(2);
    expect(seen[0]?.toString()).toBe('GET / HTTP/1.1\r\n\r\n');
    // A TLS handshake record (0x16, version 3.x) carrying the ALPN name in the clear.
    expect([seen[1]?.[0], seen[1]?.[1]]).toEqual([0x16, 0x03]);
    expect(seen[1]?.includes('trellis-http/1.1')).toBe(true);
    expect((await fetch(`${control}/other`)).status).toBe(404);
    tap.tcp.close();
    tap.control.close();
  });
});
