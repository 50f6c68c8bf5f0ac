import { createServer, type Server } from 'node:net';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { acceptMtls, connectMtls, innerProtocolOf } from './mtls.js';
import { listen, tlsStateOf } from './testing/harness.js';
import { issueLeaf, type Leaf, makeCa } from './testing/pki.js';

const orders = 'spiffe://cluster.local/ns/shop/sa/orders';
const frontend = 'spiffe://cluster.local/ns/shop/sa/frontend';

describe('mTLS between proxies', () => {
  let server: Leaf;
  let client: Leaf;
  beforeAll(() => {
    const ca = makeCa();
    server = issueLeaf(ca, orders);
    client = issueLeaf(ca, frontend);
  });
  const servers: Server[] = [];
  afterEach(() => {
    for (const s of servers.splice(0)) s.close();
  });

  async function peer() {
    const accepted: { peerId: string; alpn: string | false | null }[] = [];
    const srv = createServer((s) => {
      acceptMtls(s, tlsStateOf(server), 'cluster.local', 1_000)
        .then(({ tls, peerId }) => {
          accepted.push({ peerId, alpn: tls.alpnProtocol });
          tls.end('hi');
        })
        .catch(() => {});
    });
    servers.push(srv);
    return { port: await listen(srv), accepted };
  }

  it('connects when the peer presents the expected SPIFFE ID, carrying the inner protocol in ALPN', async () => {
    const p = await peer();
    const tls = await connectMtls(
      { host: '127.0.0.1', port: p.port, expectedId: orders, protocol: 'http1', connectMs: 1_000 },
      tlsStateOf(client),
    );
    const reply = await new Promise<string>((r) => tls.once('data', (d: Buffer) => r(d.toString())));
    expect(reply).toBe('hi');
    expect(p.accepted).toEqual([{ peerId: frontend, alpn: 'trellis-http/1.1' }]);
    expect(innerProtocolOf(tls.alpnProtocol)).toBe('http1');
    tls.destroy();
  });

  it('refuses a peer presenting another identity', async () => {
    const p = await peer();
    const attempt = connectMtls(
      { host: '127.0.0.1', port: p.port, expectedId: frontend, protocol: 'tcp', connectMs: 1_000 },
      tlsStateOf(client),
    );
    await expect(attempt).rejects.toThrow(`peer presented ${orders}, expected ${frontend}`);
  });

  it('fails fast when nothing listens', async () => {
    const srv = createServer();
    const port = await listen(srv);
    srv.close();
    const attempt = connectMtls(
      { host: '127.0.0.1', port, expectedId: orders, protocol: 'tcp', connectMs: 1_000 },
      tlsStateOf(client),
    );
    await expect(attempt).rejects.toThrow(/ECONNREFUSED/);
  });
});
