import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { probePort, type ValidationOptions, validateRedirect } from './validate.js';

// No iptables here: these tests point the probe straight at the listener, or away from it.

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

/** A port that was free a moment ago. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (typeof address !== 'object' || address === null) throw new Error('no address');
  return address.port;
}

async function occupy(port: number, onConnection: (socket: Socket) => void = () => {}) {
  const server = createServer(onConnection);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  servers.push(server);
}

const asRoot = process.getuid?.() === 0;
const options = (overrides: Partial<ValidationOptions>): ValidationOptions => ({
  capturePort: 0,
  probeAddress: '127.0.0.1',
  probePort: 0,
  // As root, the probe really switches to the proxy's UID/GID.
  uid: asRoot ? 1337 : (process.getuid?.() ?? 0),
  gid: asRoot ? 1337 : (process.getgid?.() ?? 0),
  timeoutMs: 5_000,
  ...overrides,
});

describe('validateRedirect', () => {
  it('passes when the probe lands on the capture listener', async () => {
    const port = await freePort();
    const result = await validateRedirect(options({ capturePort: port, probePort: port }));
    expect(result).toMatchObject({ ok: true });
  });

  it('fails with the reason when nothing redirects the probe', async () => {
    const [capturePort, probePort] = [await freePort(), await freePort()];
    const result = await validateRedirect(options({ capturePort, probeAddress: '127.0.0.6', probePort }));
    expect(result).toEqual({
      ok: false,
      reason: expect.stringMatching(
        new RegExp(
          `^a connection to 127\\.0\\.0\\.6:${probePort} as \\d+:\\d+ did not reach 127\\.0\\.0\\.1:${capturePort}: ECONNREFUSED$`,
        ),
      ),
    });
  });

  it('fails when the probe is answered by some other listener', async () => {
    const [capturePort, probePort] = [await freePort(), await freePort()];
    await occupy(probePort, (socket) => socket.pipe(socket));
    const result = await validateRedirect(options({ capturePort, probePort }));
    expect(result).toEqual({
      ok: false,
      reason: `a connection to 127.0.0.1:${probePort} was answered by another listener`,
    });
  });

  it('fails when the capture port is taken', async () => {
    const port = await freePort();
    await occupy(port);
    const result = await validateRedirect(options({ capturePort: port, probePort: port }));
    expect(result).toEqual({
      ok: false,
      reason: expect.stringContaining(`cannot listen on 127.0.0.1:${port}: `),
    });
    expect(result).toEqual({ ok: false, reason: expect.stringContaining('EADDRINUSE') });
  });
});

describe('probePort', () => {
  it.each<[number[], number]>([
    [[], 15002],
    [[80, 443], 15002],
    [[15002, 15003, 15005], 15004],
    [[65535, 15002, 15003], 15004],
    [Array.from({ length: 65535 - 15001 }, (_, i) => 15002 + i), 1],
  ])('with %j excluded, probes port %i', (excluded, port) => {
    expect(probePort(excluded)).toBe(port);
  });
});
