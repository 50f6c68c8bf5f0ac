import net from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { forwardApiServer } from './api-forwarder.js';

describe('forwardApiServer', () => {
  const echo = net.createServer((s) => s.pipe(s));
  afterAll(() => new Promise((resolve) => echo.close(resolve)));

  it('pipes each connection to the target both ways, and closes with its connections', async () => {
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    const target = { host: '127.0.0.1', port: (echo.address() as net.AddressInfo).port };
    const forwarder = await forwardApiServer({ host: '127.0.0.1', port: 0 }, target);
    const client = net.connect(forwarder.port, '127.0.0.1');
    const answer = new Promise<string>((resolve) => client.setEncoding('utf8').once('data', resolve));
    client.write('ping');
    expect(await answer).toBe('ping');
    const closed = new Promise((resolve) => client.once('close', resolve));
    await forwarder.close();
    await closed;
    const refused = net.connect(forwarder.port, '127.0.0.1');
    await expect(new Promise((_, reject) => refused.once('error', reject))).rejects.toMatchObject({
      code: 'ECONNREFUSED',
    });
  });
});
