import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, connect as tlsConnect } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { requireSpiffeId } from '../mtls.js';
import { sniff } from '../sniff.js';
import { issueLeaf, makeCa } from '../testing/pki.js';
import {
  defaultH1Limits,
  type H1Exchange,
  type H1Handlers,
  type H1Limits,
  type H1Served,
  serveH1,
} from './forward.js';
import { AcquireError, UpstreamPool } from './pool.js';

const servers: (Server | HttpServer)[] = [];
const pools: UpstreamPool[] = [];
const rawSockets: Socket[] = [];
afterEach(async () => {
  for (const p of pools.splice(0)) p.destroy();
  for (const s of rawSockets.splice(0)) s.destroy();
  for (const s of servers.splice(0)) {
    if ('closeAllConnections' in s) s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
});

const portOf = (s: Server | HttpServer) => (s.address() as AddressInfo).port;
async function listen<T extends Server | HttpServer>(s: T): Promise<T> {
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  return s;
}

/** A node http upstream that echoes method, url, a few headers and the body it read. */
async function echoUpstream() {
  let connections = 0;
  const s = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      if (req.url === '/chunked') {
        res.writeHead(200, { 'x-way': 'chunked' });
        res.write('part1-');
        res.end('part2');
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain', 'x-hop': 'h', connection: 'x-hop' });
      res.end(
        `${req.method} ${req.url} te=${req.headers['transfer-encoding'] ?? '-'} x-hop=${req.headers['x-hop'] ?? '-'} body=${body}`,
      );
    });
  });
  s.on('connection', () => connections++);
  await listen(s);
  return { port: portOf(s), connections: () => connections };
}

/** A raw upstream: `onConnection` gets each socket. */
async function rawUpstream(onConnection: (s: Socket) => void) {
  const s = await listen(
    createServer({ allowHalfOpen: true }, (socket) => {
      rawSockets.push(socket);
      onConnection(socket);
    }),
  );
  return portOf(s);
}

/** The engine on a listener, pooling connections to `upstreamPort`; exchanges are recorded. */
async function engine(upstreamPort: number, extra: Partial<H1Handlers> = {}, limits: Partial<H1Limits> = {}) {
  const pool = new UpstreamPool(
    () =>
      new Promise((resolve, reject) => {
        const s = connect(upstreamPort, '127.0.0.1', () => {
          s.off('error', reject);
          resolve(s);
        });
        s.once('error', reject);
      }),
  );
  pools.push(pool);
  const exchanges: H1Exchange[] = [];
  const clientErrors: number[] = [];
  const handlers: H1Handlers = {
    acquire: () => pool.acquire(),
    release: (up, reusable) => pool.release(up, reusable),
    onExchange: (e) => exchanges.push(e),
    onClientError: (status) => clientErrors.push(status),
    ...extra,
  };
  const served: H1Served[] = [];
  const server = await listen(
    createServer((s) => {
      served.push(serveH1(s, handlers, { ...defaultH1Limits, ...limits }));
    }),
  );
  return { port: portOf(server), exchanges, clientErrors, pool, served };
}

/**
 * Sends `parts` (one write each, a tick apart) and collects what comes back until the
 * connection closes or `until` says enough; bounded by `ms`.
 */
function talk(port: number, parts: string[], until?: (text: string) => boolean, ms = 3_000) {
  return new Promise<{ text: string; closed: boolean }>((resolve) => {
    const s = connect(port, '127.0.0.1');
    let text = '';
    const done = (closed: boolean) => {
      clearTimeout(timer);
      s.destroy();
      resolve({ text, closed });
    };
    const timer = setTimeout(() => done(false), ms);
    s.on('data', (c: Buffer) => {
      text += c.toString('latin1');
      if (until?.(text)) done(false);
    });
    s.on('close', () => done(true));
    s.on('error', () => {});
    s.on('connect', async () => {
      for (const p of parts) {
        s.write(p);
        await new Promise((r) => setTimeout(r, 5));
      }
    });
  });
}
const count = (text: string, what: string) => text.split(what).length - 1;

describe('serveH1', () => {
  it('forwards kept-alive requests over one pooled upstream connection and reports each exchange', async () => {
    const up = await echoUpstream();
    const e = await engine(up.port);
    const get = 'GET /one HTTP/1.1\r\nHost: a\r\n\r\n';
    const r = await talk(e.port, [get, get.replace('/one', '/two')], (t) => count(t, 'body=') === 2);
    expect(r.closed).toBe(false);
    expect(r.text).toContain('GET /one te=- x-hop=- body=');
    expect(r.text).toContain('GET /two te=- x-hop=- body=');
    // The hop-by-hop field the upstream named in Connection does not reach the client.
    expect(r.text).not.toMatch(/x-hop: h/i);
    expect(up.connections()).toBe(1);
    expect(e.exchanges.map((x) => [x.request.target, x.status, x.flag])).toEqual([
      ['/one', 200, '-'],
      ['/two', 200, '-'],
    ]);
  });

  it('answers pipelined requests in order, the second one sent in the same write as the first', async () => {
    const up = await echoUpstream();
    const e = await engine(up.port);
    const both =
      'GET /a HTTP/1.1\r\nHost: a\r\n\r\nPOST /b HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nxyz';
    const r = await talk(e.port, [both], (t) => count(t, 'body=') === 2);
    expect(r.text.indexOf('GET /a')).toBeLessThan(r.text.indexOf('POST /b'));
    expect(r.text).toContain('POST /b te=- x-hop=- body=xyz');
  });

  it('passes a chunked request body and a chunked response through with their framing', async () => {
    const up = await echoUpstream();
    const e = await engine(up.port);
    const head = 'POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n';
    const r = await talk(e.port, [head, '3\r\nabc\r\n', '2;x=1\r\nde\r\n0\r\n\r\n'], (t) =>
      t.includes('body='),
    );
    expect(r.text).toContain('POST /up te=chunked x-hop=- body=abcde');
    // Counted as content, as the golden metrics count bodies: the chunk framing is not.
    expect(e.exchanges[0]?.requestBytes).toBe('abcde'.length);
    const c = await talk(e.port, ['GET /chunked HTTP/1.1\r\nHost: a\r\n\r\n'], (t) =>
      t.endsWith('0\r\n\r\n'),
    );
    expect(c.text).toMatch(/transfer-encoding: chunked/i);
    expect(c.text).toContain('6\r\npart1-\r\n5\r\npart2\r\n0\r\n\r\n');
  });

  it('moves a Content-Length body split across many writes', async () => {
    const up = await echoUpstream();
    const e = await engine(up.port);
    const r = await talk(
      e.port,
      ['PUT /p HTTP/1.1\r\nHost: a\r\nContent-Len', 'gth: 10\r\n\r', '\n01234', '56789'],
      (t) => t.includes('body='),
    );
    expect(r.text).toContain('PUT /p te=- x-hop=- body=0123456789');
    expect(e.exchanges[0]?.requestBytes).toBe(10);
  });

  it.each([
    ['GET / HTTP/1.1\r\nHost : a\r\n\r\n', 400],
    ['GET / HTTP/1.1\nHost: a\n\n', 400],
    ['POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\nabc', 400],
    ['POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n', 501],
    [`GET / HTTP/1.1\r\nX: ${'a'.repeat(20_000)}\r\n\r\n`, 431],
    ['GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n', 501],
    ['POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', 400],
  ])('refuses bad input %# with its status and closes, sending nothing upstream', async (input, status) => {
    const up = await echoUpstream();
    const e = await engine(up.port);
    const r = await talk(e.port, [input]);
    expect(r.text.startsWith(`HTTP/1.1 ${status} `)).toBe(true);
    expect(r.text).toContain('Connection: close');
    expect(r.closed).toBe(true);
    expect(e.clientErrors).toEqual([status]);
    expect(up.connections()).toBe(0);
  });

  it('answers 408 to a head that does not finish in time, and closes an idle kept-alive connection', async () => {
    const up = await echoUpstream();
    const e = await engine(up.port, {}, { headersTimeoutMs: 150, keepAliveTimeoutMs: 300 });
    const slow = await talk(e.port, ['GET / HTTP/1.1\r\nHo']);
    expect(slow.text).toMatch(/^HTTP\/1\.1 408 /);
    expect(slow.closed).toBe(true);
    const started = performance.now();
    const idle = await talk(e.port, ['GET / HTTP/1.1\r\nHost: a\r\n\r\n']);
    expect(idle.closed).toBe(true);
    expect(idle.text).toContain('body=');
    expect(performance.now() - started).toBeGreaterThan(250);
  });

  it('answers 503 UF when no upstream connection can be made', async () => {
    const closedPort = await rawUpstream(() => {});
    const e = await engine(closedPort);
    const s = servers.at(-2);
    await new Promise<void>((r) => s?.close(() => r()));
    servers.splice(servers.length - 2, 1);
    const r = await talk(e.port, ['GET / HTTP/1.1\r\nHost: a\r\n\r\n']);
    expect(r.text).toMatch(/^HTTP\/1\.1 503 /);
    expect(r.text).toContain('x-trellis-response-flags: UF');
    expect(e.exchanges.map((x) => [x.status, x.flag])).toEqual([[503, 'UF']]);
  });

  it('answers 502 UC when the upstream resets before answering, and cuts the client when it resets mid-body', async () => {
    const before = await engine(await rawUpstream((s) => s.once('data', () => s.resetAndDestroy())));
    const r = await talk(before.port, ['POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\nx']);
    expect(r.text).toMatch(/^HTTP\/1\.1 502 /);
    expect(r.text).toContain('x-trellis-response-flags: UC');
    const mid = await engine(
      await rawUpstream((s) =>
        s.once('data', () => {
          s.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc');
          setTimeout(() => s.resetAndDestroy(), 20);
        }),
      ),
    );
    const m = await talk(mid.port, ['GET / HTTP/1.1\r\nHost: a\r\n\r\n']);
    expect(m.text).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nabc$/);
    expect(m.closed).toBe(true);
    expect(mid.exchanges.map((x) => [x.status, x.flag, x.responseBytes])).toEqual([[200, 'UC', 3]]);
  });

  it('relays a close-delimited response and then closes the client connection', async () => {
    const e = await engine(
      await rawUpstream((s) => s.once('data', () => s.end('HTTP/1.1 200 OK\r\nX-A: b\r\n\r\nuntil the end'))),
    );
    const r = await talk(e.port, ['GET / HTTP/1.1\r\nHost: a\r\n\r\n']);
    expect(r.closed).toBe(true);
    expect(r.text).toMatch(/Connection: close\r\n\r\nuntil the end$/);
    expect(e.exchanges.map((x) => [x.status, x.flag])).toEqual([[200, '-']]);
  });

  it('forwards a HEAD answer without a body, and 100 Continue before the final answer', async () => {
    const e = await engine(
      await rawUpstream((s) => {
        let n = 0;
        s.on('data', () => {
          n++;
          if (n === 1) s.write('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n');
          if (n === 2)
            s.write('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok');
        });
      }),
    );
    const r = await talk(
      e.port,
      ['HEAD / HTTP/1.1\r\nHost: a\r\n\r\n', 'GET /c HTTP/1.1\r\nHost: a\r\n\r\n'],
      (t) => t.endsWith('ok'),
    );
    expect(r.text).toBe(
      'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nHTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok',
    );
  });

  it('retries a bodiless GET once on a fresh connection when a pooled one turns out closed', async () => {
    let conns = 0;
    const e = await engine(
      await rawUpstream((s) => {
        const mine = ++conns;
        s.on('data', () => {
          // The first connection answers once, then drops the next request unanswered (a keep-alive race).
          if (mine === 1 && s.bytesWritten > 0) return s.destroy();
          s.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi');
        });
      }),
    );
    const get = 'GET / HTTP/1.1\r\nHost: a\r\n\r\n';
    const r = await talk(e.port, [get, get], (t) => count(t, 'hi') === 2);
    expect(count(r.text, 'HTTP/1.1 200 OK')).toBe(2);
    expect(conns).toBe(2);
  });

  it('hands Upgrade requests over with the bytes read after the head', async () => {
    const up = await echoUpstream();
    const e = await engine(up.port, {
      onUpgrade: (head, client, rest) => {
        client.write(`HTTP/1.1 101 Switching Protocols\r\n\r\n${head.target}|${rest.toString()}`);
        client.on('data', (c: Buffer) => client.write(c));
        client.resume();
      },
    });
    const r = await talk(
      e.port,
      ['GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: x\r\n\r\nearly', 'later'],
      (t) => t.endsWith('later'),
    );
    expect(r.text).toBe('HTTP/1.1 101 Switching Protocols\r\n\r\n/ws|earlylater');
  });

  it('marks the last response Connection: close when draining, and honours a client close', async () => {
    const up = await echoUpstream();
    let draining = false;
    const e = await engine(up.port, { draining: () => draining });
    const r1 = await talk(e.port, ['GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n']);
    expect(r1.closed).toBe(true);
    expect(r1.text).toContain('Connection: close');
    draining = true;
    const r2 = await talk(e.port, ['GET / HTTP/1.1\r\nHost: a\r\n\r\n']);
    expect(r2.closed).toBe(true);
    expect(r2.text).toContain('Connection: close');
  });

  it('drain closes an idle connection at once and a busy one after its response', async () => {
    let answer: (() => void) | undefined;
    const e = await engine(
      await rawUpstream((s) =>
        s.on('data', () => {
          answer = () => s.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
        }),
      ),
    );
    const idle = talk(e.port, []);
    await new Promise((r) => setTimeout(r, 50));
    expect(e.served[0]?.busy()).toBe(false);
    e.served[0]?.drain();
    expect((await idle).closed).toBe(true);
    const busy = talk(e.port, ['GET / HTTP/1.1\r\nHost: a\r\n\r\n']);
    await new Promise((r) => setTimeout(r, 50));
    expect(e.served[1]?.busy()).toBe(true);
    e.served[1]?.drain();
    answer?.();
    const r = await busy;
    expect(r.closed).toBe(true);
    expect(r.text).toBe('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok');
  });

  it('serves a stream the listener sniffed first (its bytes put back), as the capture listeners hand them over', async () => {
    const up = await echoUpstream();
    const pool = new UpstreamPool(
      () =>
        new Promise((resolve) => {
          const s = connect(up.port, '127.0.0.1', () => resolve(s));
        }),
    );
    pools.push(pool);
    const server = await listen(
      createServer(async (socket) => {
        expect(await sniff(socket, 1_000)).toBe('http1');
        serveH1(socket, { acquire: () => pool.acquire(), release: (u, r) => pool.release(u, r) });
      }),
    );
    const r = await talk(portOf(server), ['GET /sniffed HTTP/1.1\r\nHost: a\r\n\r\n'], (t) =>
      t.includes('body='),
    );
    expect(r.text).toContain('GET /sniffed te=- x-hop=- body=');
  });

  it('runs over mTLS on both sides, as between two proxies', async () => {
    const ca = makeCa('h1-forward-test');
    const leaf = issueLeaf(ca, 'spiffe://cluster.local/ns/t/sa/peer');
    const tlsOpts = { cert: leaf.cert, key: leaf.key, ca: ca.cert, minVersion: 'TLSv1.3' as const };
    const up = await echoUpstream();
    // The inner proxy: mTLS in, plaintext to the echo app.
    const inner = await engine(up.port);
    const peer = await listen(
      createTlsServer({ ...tlsOpts, requestCert: true, rejectUnauthorized: true }, (tls) => {
        const app = connect(inner.port, '127.0.0.1');
        tls.pipe(app).pipe(tls);
      }),
    );
    // The outer proxy: plaintext in, pooled mTLS out.
    const pool = new UpstreamPool(
      () =>
        new Promise((resolve, reject) => {
          const s = tlsConnect(
            {
              ...tlsOpts,
              host: '127.0.0.1',
              port: portOf(peer),
              servername: '',
              checkServerIdentity: requireSpiffeId('spiffe://cluster.local/ns/t/sa/peer'),
            },
            () => resolve(s),
          );
          s.once('error', reject);
        }),
    );
    pools.push(pool);
    const outer = await listen(
      createServer((s) =>
        serveH1(s, { acquire: () => pool.acquire(), release: (u, r) => pool.release(u, r) }),
      ),
    );
    const get = 'GET /tls HTTP/1.1\r\nHost: a\r\n\r\n';
    const r = await talk(portOf(outer), [get, get], (t) => count(t, 'body=') === 2);
    expect(count(r.text, 'GET /tls te=- x-hop=- body=')).toBe(2);
    expect(pool.idle).toBe(1);
  });

  it('answers an AcquireError with its status and flag (a routing refusal)', async () => {
    const up = await echoUpstream();
    const e = await engine(up.port, {
      acquire: () => Promise.reject(new AcquireError('no route', 502, 'NR')),
    });
    const r = await talk(e.port, ['GET / HTTP/1.1\r\nHost: a\r\n\r\n']);
    expect(r.text).toBe(
      'HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\nx-trellis-response-flags: NR\r\nContent-Length: 0\r\n\r\n',
    );
    expect(e.exchanges.map((x) => [x.status, x.flag])).toEqual([[502, 'NR']]);
    expect(up.connections()).toBe(0);
  });

  it('answers a keep-alive AcquireError with its fields and serves the next request on the same connection', async () => {
    const up = await echoUpstream();
    let n = 0;
    const e = await engine(up.port, {});
    const pool = e.pool;
    const refusing = await engine(up.port, {
      acquire: () =>
        ++n === 1
          ? Promise.reject(
              new AcquireError('rate', 429, 'RL', {
                fields: ['retry-after', '1'],
                keepAlive: true,
                body: 'RL\n',
              }),
            )
          : pool.acquire(),
      release: (u, r) => pool.release(u, r),
    });
    const post = 'POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi';
    const get = 'GET /b HTTP/1.1\r\nHost: a\r\n\r\n';
    const r = await talk(refusing.port, [post, get], (t) => t.includes('body='));
    expect(r.text).toMatch(
      /^HTTP\/1\.1 429 Too Many Requests\r\nx-trellis-response-flags: RL\r\nretry-after: 1\r\nContent-Type: text\/plain\r\nContent-Length: 3\r\n\r\nRL\nHTTP\/1\.1 200 OK\r\n/,
    );
    expect(r.text).toContain('GET /b te=- x-hop=- body=');
    expect(r.closed).toBe(false);
    expect(refusing.exchanges.map((x) => [x.status, x.flag])).toEqual([
      [429, 'RL'],
      [200, '-'],
    ]);
    // A refusal while the request body is still due closes: the rest of the body cannot be told apart.
    n = 0;
    const cut = await talk(refusing.port, ['POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 9\r\n\r\nhi']);
    expect(cut.text).toMatch(/^HTTP\/1\.1 429 Too Many Requests\r\nConnection: close\r\n/);
    expect(cut.closed).toBe(true);
  });

  it('ends an exchange with no bytes moving: 408 SI for a stalled request body, 504 UT for a silent upstream', async () => {
    const up = await echoUpstream();
    const slowClient = await engine(up.port, {}, { idleTimeoutMs: 150 });
    const r = await talk(slowClient.port, ['POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc']);
    expect(r.text).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(r.text).toContain('x-trellis-response-flags: SI');
    expect(r.closed).toBe(true);
    expect(slowClient.clientErrors).toEqual([408]);
    expect(slowClient.exchanges.map((x) => [x.status, x.flag, x.requestBytes])).toEqual([[408, 'SI', 3]]);
    const silent = await engine(await rawUpstream(() => {}), {}, { idleTimeoutMs: 150 });
    const s = await talk(silent.port, ['GET / HTTP/1.1\r\nHost: a\r\n\r\n']);
    expect(s.text).toMatch(/^HTTP\/1\.1 504 Gateway Timeout\r\n/);
    expect(s.text).toContain('x-trellis-response-flags: UT');
    expect(silent.exchanges.map((x) => [x.status, x.flag])).toEqual([[504, 'UT']]);
  });
});
