import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ConnectionTracker } from './tracker.js';

describe('ConnectionTracker', () => {
  it('drains when the last connection closes, asking each to finish', async () => {
    const t = new ConnectionTracker();
    const a = new PassThrough();
    const b = new PassThrough();
    const asked: string[] = [];
    t.add(a, { drain: () => asked.push('a') });
    t.add(b);
    const done = t.drain(5_000);
    expect(asked).toEqual(['a']);
    a.destroy();
    b.destroy();
    expect(await done).toEqual({ forced: 0 });
    expect(t.size).toBe(0);
  });

  it('destroys stragglers after the deadline', async () => {
    const t = new ConnectionTracker();
    const a = new PassThrough();
    t.add(a);
    expect(await t.drain(20)).toEqual({ forced: 1 });
    expect(a.destroyed).toBe(true);
  });

  it('asks a connection that arrives during a drain to finish at once', () => {
    const t = new ConnectionTracker();
    void t.drain(10);
    let asked = false;
    t.add(new PassThrough(), { drain: () => (asked = true) });
    expect(asked).toBe(true);
  });
});
