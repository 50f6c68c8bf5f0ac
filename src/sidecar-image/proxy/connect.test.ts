import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { connectTcp } from './connect.js';
import { listen } from './testing/harness.js';

describe('connectTcp', () => {
  it('connects with half-open allowed', async () => {
    const srv = createServer((s) => s.end());
    const port = await listen(srv);
    const s = await connectTcp('127.0.0.1', port, 1_000);
    expect(s.allowHalfOpen).toBe(true);
    s.destroy();
    srv.close();
  });

  it('rejects when refused', async () => {
    const srv = createServer();
    const port = await listen(srv);
    srv.close();
    await expect(connectTcp('127.0.0.1', port, 1_000)).rejects.toThrow(/ECONNREFUSED/);
  });
});
