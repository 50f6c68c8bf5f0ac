import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { initOptions } from '../../api/init-options.js';
import {
  defaultGateway,
  probePort,
  probeTarget,
  type ValidationOptions,
  validateRedirect,
} from './validate.js';

// No iptables here: these tests point the probe straight at the listener, or away from it;
// test/dataplane/init.test.ts runs the real thing.

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

const options = (capturePort: number, probe: { address: string; port: number }): ValidationOptions => ({
  capturePort,
  probe,
  timeoutMs: 5_000,
});

describe('validateRedirect', () => {
  it('passes when the probe lands on the capture listener', async () => {
    const port = await freePort();
    const result = await validateRedirect(options(port, { address: '127.0.0.1', port }));
    expect(result).toMatchObject({ ok: true });
  });

  it('fails with the reason when nothing redirects the probe', async () => {
    const [capturePort, probePort] = [await freePort(), await freePort()];
    const result = await validateRedirect(options(capturePort, { address: '127.0.0.6', port: probePort }));
    expect(result).toEqual({
      ok: false,
      reason: `a connection to 127.0.0.6:${probePort} did not reach 127.0.0.1:${capturePort}: ECONNREFUSED`,
    });
  });

  it('fails when the probe is answered by some other listener', async () => {
    const [capturePort, probePort] = [await freePort(), await freePort()];
    await occupy(probePort, (socket) => socket.pipe(socket));
    const result = await validateRedirect(options(capturePort, { address: '127.0.0.1', port: probePort }));
    expect(result).toEqual({
      ok: false,
      reason: `a connection to 127.0.0.1:${probePort} was answered by another listener`,
    });
  });

  it('fails when the capture port is taken', async () => {
    const port = await freePort();
    await occupy(port);
    const result = await validateRedirect(options(port, { address: '127.0.0.1', port }));
    expect(result).toEqual({
      ok: false,
      reason: expect.stringContaining(`cannot listen on 127.0.0.1:${port}: `),
    });
    expect(result).toEqual({ ok: false, reason: expect.stringContaining('EADDRINUSE') });
  });
});

describe('defaultGateway', () => {
  const header = 'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT';
  it('reads the default route gateway, little-endian', () => {
    const table = [
      header,
      'eth0\t006512C6\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0',
      'eth0\t00000000\t016512C6\t0003\t0\t0\t0\t00000000\t0\t0\t0',
    ].join('\n');
    expect(defaultGateway(table)).toBe('198.18.101.1');
  });

  it('is undefined without a default route', () => {
    expect(
      defaultGateway(`${header}\neth0\t006512C6\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n`),
    ).toBeUndefined();
  });
});

describe('probeTarget', () => {
  const opts = (input: Parameters<typeof initOptions.parse>[0]) => initOptions.parse(input);
  it.each<[string, Parameters<typeof initOptions.parse>[0], string | undefined, string | undefined]>([
    ['the gateway by default', {}, '198.18.101.1', '198.18.101.1:15002'],
    [
      'the gateway on the next free port',
      { excludeOutboundPorts: [15002] },
      '198.18.101.1',
      '198.18.101.1:15003',
    ],
    [
      'an included range when the gateway is not in one',
      { includeOutboundCidrs: ['198.19.0.0/16'] },
      '198.18.101.1',
      '198.19.0.1:15002',
    ],
    [
      'an included range when the gateway is excluded',
      { includeOutboundCidrs: ['0.0.0.0/0', '198.19.0.0/16'], excludeOutboundCidrs: ['198.18.0.0/16'] },
      '198.18.101.1',
      '198.19.0.1:15002',
    ],
    ['nothing when no default route and everything is included', {}, undefined, undefined],
    [
      'nothing when every candidate is excluded',
      { includeOutboundCidrs: ['198.19.0.0/16'], excludeOutboundCidrs: ['198.19.0.0/24'] },
      '198.18.101.1',
      undefined,
    ],
  ])('picks %s', (_, input, gateway, expected) => {
    const target = probeTarget(opts(input), gateway);
    expect(target && `${target.address}:${target.port}`).toBe(expected);
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
