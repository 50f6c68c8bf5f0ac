import { createServer, request } from 'node:http';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Pools } from './pools.js';
import { listen, testContext } from './testing/harness.js';
import { issueLeaf, type Leaf, makeCa } from './testing/pki.js';

describe('Pools', () => {
  let leaf: Leaf;
  beforeAll(() => {
    leaf = issueLeaf(makeCa(), 'spiffe://cluster.local/ns/shop/sa/frontend');
  });
  const closers: (() => void)[] = [];
  afterEach(() => {
    for (const c of closers.splice(0)) c();
  });

  it('keeps plain upstream connections alive across requests', async () => {
    let connections = 0;
    const app = createServer((_req, res) => res.end('ok'));
    app.on('connection', () => connections++);
    const port = await listen(app);
    const { ctx } = testContext({
      config: { schemaVersion: 1, namespace: 'shop', trustDomain: 'cluster.local', services: [] },
      leaf,
      dst: () => undefined,
    });
    const pools = new Pools(ctx);
    closers.push(
      () => pools.destroy(),
      () => app.close(),
    );
    for (let i = 0; i < 5; i++) {
      const status = await new Promise<number>((resolve, reject) => {
        const req = request({ agent: pools.plain, host: '127.0.0.1', port, path: '/' }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('error', reject);
        req.end();
      });
      expect(status).toBe(200);
    }
    expect(connections).toBe(1);
  });

  it('gives one mTLS agent per peer identity', () => {
    const { ctx } = testContext({
      config: { schemaVersion: 1, namespace: 'shop', trustDomain: 'cluster.local', services: [] },
      leaf,
      dst: () => undefined,
    });
    const pools = new Pools(ctx);
    const a = pools.agentFor('spiffe://cluster.local/ns/shop/sa/a');
    expect(pools.agentFor('spiffe://cluster.local/ns/shop/sa/a')).toBe(a);
    expect(pools.agentFor('spiffe://cluster.local/ns/shop/sa/b')).not.toBe(a);
    expect(pools.agentFor(undefined)).toBe(pools.plain);
    pools.destroy();
  });

  it('gives one engine pool per app port, reusing a released connection and closing it on destroy', async () => {
    let connections = 0;
    const app = createServer((_req, res) => res.end('ok'));
    app.on('connection', () => connections++);
    const port = await listen(app);
    const { ctx } = testContext({
      config: { schemaVersion: 1, namespace: 'shop', trustDomain: 'cluster.local', services: [] },
      leaf,
      dst: () => undefined,
    });
    const pools = new Pools(ctx);
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
});
