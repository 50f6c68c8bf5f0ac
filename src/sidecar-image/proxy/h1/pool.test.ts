import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { type H1Upstream, type PoolLimits, UpstreamPool } from './pool.js';

/** Connections are PassThrough streams here: the pool only needs a Duplex it can watch and destroy. */
function pool(limits: Partial<PoolLimits> = {}) {
  const opened: PassThrough[] = [];
  const p = new UpstreamPool(
    async () => {
      const s = new PassThrough();
      opened.push(s);
      return s;
    },
    { maxIdle: 2, idleMs: 1_000, ...limits },
  );
  return { p, opened };
}

describe('UpstreamPool', () => {
  it('lends a released connection again, newest first, marked reused', async () => {
    const { p, opened } = pool();
    const a = await p.acquire();
    const b = await p.acquire();
    expect([a.reused, b.reused]).toEqual([false, false]);
    p.release(a, true);
    p.release(b, true);
    const again = await p.acquire();
    expect(again.socket).toBe(b.socket);
    expect(again.reused).toBe(true);
    expect(opened.length).toBe(2);
  });

  it('destroys what is not reusable, what exceeds maxIdle, and everything on destroy', async () => {
    const { p } = pool({ maxIdle: 1 });
    const [a, b, c] = [await p.acquire(), await p.acquire(), await p.acquire()];
    p.release(a, false);
    p.release(b, true);
    p.release(c, true);
    expect([a.socket.destroyed, b.socket.destroyed, c.socket.destroyed]).toEqual([true, false, true]);
    p.destroy();
    expect(b.socket.destroyed).toBe(true);
    expect(p.idle).toBe(0);
  });

  it('drops an idle connection that ends, errors or sends unsolicited bytes', async () => {
    const { p } = pool({ maxIdle: 4 });
    const ups = [await p.acquire(), await p.acquire(), await p.acquire()];
    for (const u of ups) p.release(u, true);
    expect(p.idle).toBe(3);
    const [ended, failed, chatty] = ups.map((u) => u.socket as PassThrough);
    ended?.end();
    ended?.resume();
    failed?.emit('error', new Error('reset'));
    chatty?.write('junk');
    await new Promise((r) => setTimeout(r, 20));
    expect(p.idle).toBe(0);
    expect(ups.map((u) => u.socket.destroyed)).toEqual([true, true, true]);
  });

  it('closes a connection idle longer than idleMs', async () => {
    const { p } = pool({ idleMs: 50 });
    const a = await p.acquire();
    p.release(a, true);
    await new Promise((r) => setTimeout(r, 120));
    expect(p.idle).toBe(0);
    expect(a.socket.destroyed).toBe(true);
  });

  it('passes on a failure to open', async () => {
    const p = new UpstreamPool(() => Promise.reject(new Error('refused')));
    await expect(p.acquire()).rejects.toThrow('refused');
  });

  it('makes acquire wait at maxActive and hands a released connection straight to the waiter', async () => {
    const { p, opened } = pool({ maxActive: 2 });
    const a = await p.acquire();
    await p.acquire();
    let got: H1Upstream | undefined;
    const waiting = p.acquire().then((u) => {
      got = u;
    });
    await new Promise((r) => setTimeout(r, 10));
    expect(got).toBeUndefined();
    p.release(a, true);
    await waiting;
    expect(got?.socket).toBe(a.socket);
    expect(got?.reused).toBe(true);
    expect(opened.length).toBe(2);
    expect(p.active).toBe(2);
  });

  it('opens a fresh connection for a waiter when the released one is not reusable', async () => {
    const { p, opened } = pool({ maxActive: 1 });
    const a = await p.acquire();
    const waiting = p.acquire();
    p.release(a, false);
    const b = await waiting;
    expect(b.reused).toBe(false);
    expect(b.socket).not.toBe(a.socket);
    expect(opened.length).toBe(2);
  });

  it('fails a waiter after waitMs, and every waiter on destroy', async () => {
    const { p } = pool({ maxActive: 1, waitMs: 30 });
    await p.acquire();
    await expect(p.acquire()).rejects.toMatchObject({
      message: 'no upstream connection free within 30 ms',
      status: 503,
      flag: 'UO',
    });
    const pending = p.acquire();
    p.destroy();
    await expect(pending).rejects.toThrow('pool closed');
  });

  it('gives the slot of a failed open to the next waiter', async () => {
    let n = 0;
    const p = new UpstreamPool(
      async () => {
        n++;
        if (n === 1) throw new Error('refused');
        return new PassThrough();
      },
      { maxActive: 1 },
    );
    const first = p.acquire();
    const second = p.acquire();
    await expect(first).rejects.toThrow('refused');
    expect((await second).reused).toBe(false);
    expect(p.active).toBe(1);
  });
});
