import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { quitAnswer, serveQuit } from './quit.js';
import { captureLogger } from './testing/log.js';

describe('quitAnswer', () => {
  it('accepts POST from 127.0.0.1 only', () => {
    expect(quitAnswer('POST', '127.0.0.1')).toEqual({ quit: true, status: 202, body: 'quitting\n' });
    expect(quitAnswer('POST', '::ffff:127.0.0.1').quit).toBe(true);
    expect(quitAnswer('GET', '127.0.0.1')).toEqual({ quit: false, status: 405, body: 'use POST\n' });
    expect(quitAnswer('POST', '10.1.2.3').status).toBe(403);
    expect(quitAnswer('POST', undefined).status).toBe(403);
  });
});

describe('serveQuit over real sockets', () => {
  let server: Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  });

  async function start() {
    let drains = 0;
    const cap = captureLogger();
    server = createServer((req, res) => serveQuit(req, res, { drain: () => drains++, log: cap.log }));
    // Bound like the admin server (all IPv4 addresses), so the peer address is the real one.
    await new Promise<void>((r) => server?.listen(0, '0.0.0.0', r));
    return { port: (server.address() as AddressInfo).port, drains: () => drains, lines: cap.lines };
  }

  const call = (port: number, method: string, localAddress = '127.0.0.1') =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port, method, path: '/quit', localAddress, agent: false },
        (res) => {
          let body = '';
          res.on('data', (c: Buffer) => {
            body += c.toString();
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      req.end();
    });

  it('drains on POST from 127.0.0.1', async () => {
    const s = await start();
    expect(await call(s.port, 'POST')).toEqual({ status: 202, body: 'quitting\n' });
    expect(s.drains()).toBe(1);
    expect(s.lines().some((l) => l.msg === 'quit requested on the admin port')).toBe(true);
  });

  it('refuses GET, and POST from another address, without draining', async () => {
    const s = await start();
    expect((await call(s.port, 'GET')).status).toBe(405);
    // 127.0.0.2 is a different peer address on the same host: enough to prove the source check.
    expect(await call(s.port, 'POST', '127.0.0.2')).toEqual({
      status: 403,
      body: 'quit is accepted from 127.0.0.1 only\n',
    });
    expect(s.drains()).toBe(0);
    expect(s.lines().filter((l) => l.msg === 'quit refused')).toHaveLength(2);
  });
});
