import type { AddressInfo } from 'node:net';
import { connect, createServer, type Socket } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { relayedKubeConfig, tcpRelay } from './tcp-relay.js';

const wait = { timeout: 5000, interval: 10 };
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** An echo server, and a client through the relay that collects what comes back and whether it closed. */
async function setup() {
  const echoed = new Set<Socket>();
  const echo = createServer((socket) => {
    echoed.add(socket);
    socket.on('error', () => {});
    socket.pipe(socket);
  });
  await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => {
    for (const socket of echoed) socket.destroy();
    return new Promise<void>((resolve) => echo.close(() => resolve()));
  });
  const relay = await tcpRelay({ host: '127.0.0.1', port: (echo.address() as AddressInfo).port });
  cleanups.push(() => relay.close());
  const client = () => {
    const socket: Socket = connect(relay.port, '127.0.0.1');
    const state = { received: '', closed: false };
    socket.on('data', (chunk: Buffer) => {
      state.received += chunk.toString();
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      state.closed = true;
    });
    cleanups.push(() => {
      socket.destroy();
    });
    return { socket, state };
  };
  return { relay, client };
}

describe('tcpRelay', () => {
  it('relays, cuts (resetting and refusing) and restores', async () => {
    const { relay, client } = await setup();
    const first = client();
    first.socket.write('ping');
    await vi.waitFor(() => expect(first.state.received).toBe('ping'), wait);
    relay.cut();
    await vi.waitFor(() => expect(first.state.closed).toBe(true), wait);
    const refused = client();
    await vi.waitFor(() => expect(refused.state.closed).toBe(true), wait);
    relay.restore();
    const second = client();
    second.socket.write('pong');
    await vi.waitFor(() => expect(second.state.received).toBe('pong'), wait);
  });

  it('blackholes open connections without closing them, and lets new ones through', async () => {
    const { relay, client } = await setup();
    const old = client();
    old.socket.write('a');
    await vi.waitFor(() => expect(old.state.received).toBe('a'), wait);
    relay.blackhole();
    expect(relay.open).toBe(0);
    old.socket.write('b');
    const fresh = client();
    fresh.socket.write('c');
    await vi.waitFor(() => expect(fresh.state.received).toBe('c'), wait);
    expect(old.state).toEqual({ received: 'a', closed: false });
  });
});

describe('relayedKubeConfig', () => {
  it('points a copy of the config at the relay and leaves the original alone', async () => {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: 'https://127.0.0.1:6443', caData: 'Y2E=' }],
      users: [{ name: 'u', token: 't' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    const { relay, kc: relayed } = await relayedKubeConfig(kc);
    cleanups.push(() => relay.close());
    expect(relayed.getCurrentCluster()).toMatchObject({
      server: `https://127.0.0.1:${relay.port}`,
      caData: 'Y2E=',
    });
    expect(relayed.getCurrentUser()?.token).toBe('t');
    expect(kc.getCurrentCluster()?.server).toBe('https://127.0.0.1:6443');
  });
});
