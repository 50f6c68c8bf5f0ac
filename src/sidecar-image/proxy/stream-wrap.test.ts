import { connect, createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { wrapStream } from './stream-wrap.js';
import { listen } from './testing/harness.js';

describe('wrapStream', () => {
  it('carries bytes both ways and the end of each direction', async () => {
    const server = createServer((s) => {
      const w = wrapStream(s);
      let got = '';
      w.on('data', (d: Buffer) => (got += d.toString()));
      w.on('end', () => w.end(`echo:${got}`));
    });
    const port = await listen(server);
    const c = connect(port, '127.0.0.1');
    const reply = new Promise<string>((resolve) => {
      let text = '';
      c.on('data', (d: Buffer) => (text += d.toString()));
      c.on('close', () => resolve(text));
    });
    c.end('ping');
    expect(await reply).toBe('echo:ping');
    server.close();
  });

  it('destroys the inner stream with the outer one', async () => {
    const server = createServer();
    const port = await listen(server);
    const accepted = new Promise<import('node:net').Socket>((r) => server.once('connection', r));
    const c = connect(port, '127.0.0.1');
    const inner = await accepted;
    wrapStream(inner).destroy();
    await new Promise((r) => inner.once('close', r));
    expect(inner.destroyed).toBe(true);
    c.destroy();
    server.close();
  });
});
