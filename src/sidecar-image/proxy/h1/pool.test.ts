import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { UpstreamPool } from './pool.js';

/** Connections are PassThrough streams here: the pool only needs a Duplex it can watch and destroy. */
function pool(maxIdle = 2, idleMs = 1_000) {
  const opened: PassThrough[] = [];
  const p = new UpstreamPool(
    async () => {
      const s = new PassThrough();
      opened.push(s);
      return s;
    },
    maxIdle,
    idleMs,
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
    const { p } = pool(1);
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
    const { p } = pool(4);
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
    const { p } = pool(2, 50);
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
});
