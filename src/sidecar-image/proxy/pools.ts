import type { Duplex } from 'node:stream';
import { connectTcp } from './connect.js';
import type { ProxyContext } from './context.js';
import { UpstreamPool } from './h1/pool.js';
import { connectMtls } from './mtls.js';
import { MuxPeer } from './mux/peer.js';

/**
 * Connections lent or opening at once per upstream address. Beyond it a request waits briefly for
 * one instead of each opening its own (an mTLS handshake costs far more than the wait; an
 * unbounded pool spiralled under an open-loop 1,000 req/s load).
 */
export const maxConnectionsPerEndpoint = 32;

/**
 * The HTTP/1.1 engine's kept-alive upstream connections: one plaintext pool per app port
 * (inbound), and one pool per upstream address and peer identity (outbound: mTLS requiring that
 * identity, or plaintext for unmeshed destinations), so requests between two proxies reuse
 * connections instead of paying a handshake each. Each new mTLS connection takes the TLS context
 * in force when it opens, so a certificate rotation reaches new connections while pooled ones
 * finish their life on the old one.
 */
export class Pools {
  readonly #apps = new Map<number, UpstreamPool>();
  readonly #upstreams = new Map<string, UpstreamPool>();
  readonly #peers: MuxPeer[] = [];

  constructor(private readonly ctx: ProxyContext) {}

  /** The app on one port (inbound), on 127.0.0.1 in a pod. */
  app(port: number): UpstreamPool {
    let pool = this.#apps.get(port);
    if (!pool) {
      pool = new UpstreamPool(() => connectTcp(this.ctx.appHost, port, this.ctx.timeouts.connectMs), {
        maxActive: maxConnectionsPerEndpoint,
      });
      this.#apps.set(port, pool);
    }
    return pool;
  }

  /** One upstream address (outbound): mTLS requiring `identity`, or plaintext without one. */
  http1(identity: string | undefined, host: string, port: number): UpstreamPool {
    const key = `${identity ?? ''} ${host}:${port}`;
    let pool = this.#upstreams.get(key);
    if (!pool) {
      const connectMs = this.ctx.timeouts.connectMs;
      let open = (): Promise<Duplex> => connectTcp(host, port, connectMs);
      if (identity) {
        // A peer proxy: its connections are streams of one trellis-mux link. The TLS context in
        // force when the link opens is its; a rotated certificate reaches the next link.
        const peer = new MuxPeer(
          () => this.ctx.tls(),
          (state, mux) =>
            connectMtls(
              mux
                ? { host, port, expectedId: identity, protocol: 'mux', fallback: 'http1', connectMs }
                : { host, port, expectedId: identity, protocol: 'http1', connectMs },
              state,
            ),
        );
        this.#peers.push(peer);
        open = () => peer.open();
      }
      pool = new UpstreamPool(open, { maxActive: maxConnectionsPerEndpoint });
      this.#upstreams.set(key, pool);
    }
    return pool;
  }

  destroy(): void {
    for (const p of this.#apps.values()) p.destroy();
    for (const p of this.#upstreams.values()) p.destroy();
    for (const p of this.#peers) p.destroy();
  }
}
