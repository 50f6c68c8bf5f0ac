import { createServer } from 'node:net';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { acceptMtls } from './mtls.js';
import { Pools } from './pools.js';
import { listen, testContext, tlsStateOf } from './testing/harness.js';
import { issueLeaf, type Leaf, makeCa } from './testing/pki.js';
import { waitFor } from './testing/wait.js';

const orders = 'spiffe://cluster.local/ns/shop/sa/orders';
const config = { schemaVersion: 1 as const, namespace: 'shop', trustDomain: 'cluster.local', services: [] };

describe('Pools', () => {
  let leaf: Leaf;
  let peer: Leaf;
  beforeAll(() => {
    const ca = makeCa();
    leaf = issueLeaf(ca, 'spiffe://cluster.local/ns/shop/sa/frontend');
    peer = issueLeaf(ca, orders);
  });
  const closers: (() => void)[] = [];
  afterEach(() => {
    for (const c of closers.splice(0)) c();
  });

  it('gives one pool per app port, reusing a released connection and closing it on destroy', async () => {
    let connections = 0;
    const app = createServer(() => connections++);
    const port = await listen(app);
    const pools = new Pools(testContext({ config, leaf, dst: () => undefined }).ctx);
    closers.push(() => app.close());
    const pool = pools.app(port);
    expect(pools.app(port)).toBe(pool);
    expect(pools.app(port + 1)).not.toBe(pool);
    const first = await pool.acquire();
    pool.release(first, true);
    const second = await pool.acquire();
    expect([second.socket, second.reused]).toEqual([first.socket, true]);
    pool.release(second, true);
    expect(connections).toBe(1);
    pools.destroy();
    expect(second.socket.destroyed).toBe(true);
  });

  it('gives one pool per peer identity and address, speaking mTLS that requires the identity', async () => {
    const accepted: string[] = [];
    const srv = createServer((s) => {
      acceptMtls(s, tlsStateOf(peer), 'cluster.local', 1_000).then(
        ({ peerId }) => accepted.push(peerId),
        () => s.destroy(),
      );
    });
    const port = await listen(srv);
    const pools = new Pools(testContext({ config, leaf, dst: () => undefined }).ctx);
    closers.push(
      () => pools.destroy(),
      () => srv.close(),
    );
    const pool = pools.http1(orders, '127.0.0.1', port);
    expect(pools.http1(orders, '127.0.0.1', port)).toBe(pool);
    expect(pools.http1(undefined, '127.0.0.1', port)).not.toBe(pool);
    const up = await pool.acquire();
    await waitFor(() => accepted.length === 1, 2_000);
    expect(accepted).toEqual(['spiffe://cluster.local/ns/shop/sa/frontend']);
    pool.release(up, true);
    // A peer presenting another identity is refused: the connection fails, nothing is pooled.
    const wrong = pools.http1('spiffe://cluster.local/ns/shop/sa/other', '127.0.0.1', port);
    await expect(wrong.acquire()).rejects.toThrow(/spiffe/i);
    expect(wrong.idle + wrong.active).toBe(0);
  });
});
