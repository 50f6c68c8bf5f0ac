import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { TLSSocket } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import type { TlsState } from '../identity-store.js';
import { acceptMtls, alpn, connectMtls } from '../mtls.js';
import { tlsStateOf } from '../testing/harness.js';
import { issueLeaf, makeCa } from '../testing/pki.js';
import { waitFor } from '../testing/wait.js';
import { MuxLink } from './link.js';
import { MuxPeer } from './peer.js';

const ca = makeCa();
const serverId = 'spiffe://cluster.local/ns/shop/sa/web';
const serverState = tlsStateOf(issueLeaf(ca, serverId));
const clientState = () => tlsStateOf(issueLeaf(ca, 'spiffe://cluster.local/ns/shop/sa/frontend'));

const servers: Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

const echo = (s: Duplex) => s.on('data', (d: Buffer) => s.write(d));

/** A peer's inbound: trellis-mux when it knows it, else (an older proxy) HTTP/1.1 connections. */
async function peerInbound(knowsMux: boolean) {
  const links: MuxLink[] = [];
  let connections = 0;
  const server = createServer((socket: Socket) => {
    connections++;
    if (knowsMux) {
      void acceptMtls(socket, serverState, 'cluster.local', 2_000).then(({ tls }) => {
        if (tls.alpnProtocol === alpn.mux) links.push(new MuxLink(tls, echo));
        else echo(tls);
      });
      return;
    }
    const tls = new TLSSocket(socket, {
      isServer: true,
      secureContext: serverState.server,
      requestCert: true,
      ALPNProtocols: [alpn.http1],
    });
    echo(tls);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, links, connections: () => connections };
}

function peerOf(port: number, tls: () => TlsState) {
  return new MuxPeer(tls, (state, mux) =>
    connectMtls(
      mux
        ? {
            host: '127.0.0.1',
            port,
            expectedId: serverId,
            protocol: 'mux',
            fallback: 'http1',
            connectMs: 2_000,
          }
        : { host: '127.0.0.1', port, expectedId: serverId, protocol: 'http1', connectMs: 2_000 },
      state,
    ),
  );
}

function roundTrip(s: Duplex, text: string): Promise<string> {
  return new Promise((resolve) => {
    s.once('data', (d: Buffer) => resolve(d.toString()));
    s.write(text);
  });
}

describe('MuxPeer', () => {
  it('opens every connection to a peer as a stream of one link', async () => {
    const inbound = await peerInbound(true);
    const state = clientState();
    const peer = peerOf(inbound.port, () => state);
    const streams = await Promise.all([peer.open(), peer.open(), peer.open()]);
    expect(await Promise.all(streams.map((s, i) => roundTrip(s, `s${i}`)))).toEqual(['s0', 's1', 's2']);
    expect(inbound.connections()).toBe(1);
    expect(inbound.links[0]?.streams).toBe(3);
    peer.destroy();
  });

  it('falls back to a TLS connection per stream for a peer that does not know trellis-mux', async () => {
    const inbound = await peerInbound(false);
    const state = clientState();
    const peer = peerOf(inbound.port, () => state);
    const first = await peer.open();
    expect((first as TLSSocket).alpnProtocol).toBe(alpn.http1);
    expect(await roundTrip(first, 'one')).toBe('one');
    const second = await peer.open();
    expect(await roundTrip(second, 'two')).toBe('two');
    // The first dial offered both and was kept; later ones ask for HTTP/1.1 alone.
    expect(inbound.connections()).toBe(2);
    first.destroy();
    second.destroy();
  });

  it('puts streams opened after a certificate rotation on a new link, and lets the old one finish', async () => {
    const inbound = await peerInbound(true);
    let state = clientState();
    const peer = peerOf(inbound.port, () => state);
    const before = await peer.open();
    state = clientState();
    const after = await peer.open();
    expect(inbound.connections()).toBe(2);
    expect(await roundTrip(before, 'old')).toBe('old');
    expect(await roundTrip(after, 'new')).toBe('new');
    // The retired link closes with its last stream.
    before.destroy();
    await waitFor(() => inbound.links[0]?.usable === false);
    expect(inbound.links[1]?.usable).toBe(true);
    peer.destroy();
  });

  it('gives a caller that was handed a link retired meanwhile (a rotation) a stream on the new one', async () => {
    const inbound = await peerInbound(true);
    let state = clientState();
    const peer = peerOf(inbound.port, () => state);
    await peer.open();
    // The first caller is handed the link; before it opens its stream, a second caller sees the
    // rotated certificate and retires that link.
    const first = peer.open();
    state = clientState();
    const second = peer.open();
    const [a, b] = await Promise.all([first, second]);
    expect(await roundTrip(a, 'a')).toBe('a');
    expect(await roundTrip(b, 'b')).toBe('b');
    peer.destroy();
  });

  it('dials a new link after the old one failed', async () => {
    const inbound = await peerInbound(true);
    const state = clientState();
    const peer = peerOf(inbound.port, () => state);
    const s = await peer.open();
    await waitFor(() => inbound.links.length === 1);
    inbound.links[0]?.close(new Error('gone'));
    await waitFor(() => s.destroyed);
    const again = await peer.open();
    expect(await roundTrip(again, 'back')).toBe('back');
    expect(inbound.connections()).toBe(2);
    peer.destroy();
  });
});
