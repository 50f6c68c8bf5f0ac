import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { splice } from './splice.js';

/** A listener whose accepted sockets are handed to the test. */
async function listen(onSocket: (s: Socket) => void): Promise<{ server: Server; port: number }> {
  const server = createServer({ allowHalfOpen: true }, onSocket);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as { port: number }).port };
}

describe('splice', () => {
  const servers: Server[] = [];
  afterEach(() => {
    for (const s of servers.splice(0)) s.close();
  });

  it('carries a half-close across so the far side can still answer', async () => {
    // upstream: reads everything until FIN, then answers with the byte count.
    const upstream = await listen((s) => {
      let n = 0;
      s.on('data', (d: Buffer) => (n += d.length));
      s.on('end', () => s.end(`got ${n}`));
    });
    const closes: (Error | undefined)[] = [];
    const proxy = await listen((s) => {
      const up = connect({ port: upstream.port, host: '127.0.0.1', allowHalfOpen: true });
      splice(s, up, (err) => closes.push(err));
    });
    servers.push(upstream.server, proxy.server);
    const client = connect({ port: proxy.port, host: '127.0.0.1', allowHalfOpen: true });
    client.end(Buffer.alloc(100_000, 1));
    const reply = await new Promise<string>((resolve) => {
      let text = '';
      client.on('data', (d: Buffer) => (text += d.toString()));
      client.on('end', () => resolve(text));
    });
    expect(reply).toBe('got 100000');
    await new Promise((r) => setTimeout(r, 50));
    expect(closes).toEqual([undefined]);
  });

  it('tears both sides down when one resets', async () => {
    let upstreamSocket: Socket | undefined;
    const upstream = await listen((s) => {
      upstreamSocket = s;
    });
    const closed = new Promise<Error | undefined>((resolve) => {
      void listen((s) => {
        const up = connect({ port: upstream.port, host: '127.0.0.1', allowHalfOpen: true });
        up.on('connect', () => setTimeout(() => upstreamSocket?.resetAndDestroy(), 20));
        splice(s, up, resolve);
      }).then((proxy) => {
        servers.push(proxy.server);
        connect(proxy.port, '127.0.0.1').on('error', () => {});
      });
    });
    servers.push(upstream.server);
    expect((await closed)?.message).toMatch(/ECONNRESET/);
  });
});
