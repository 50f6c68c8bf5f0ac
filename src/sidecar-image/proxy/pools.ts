import { Agent, type ClientRequestArgs } from 'node:http';
import { connect } from 'node:net';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import { connectTcp } from './connect.js';
import type { ProxyContext } from './context.js';
import { UpstreamPool } from './h1/pool.js';
import { alpn, requireSpiffeId } from './mtls.js';

export const maxConnectionsPerEndpoint = 32;

/** Pooled sockets whose connection (and TLS handshake) completed: a failure after that is a reset, not a connect failure. */
const established = new WeakSet<Duplex>();
export const isEstablished = (s: Duplex): boolean => established.has(s);

type Open = (host: string, port: number) => Duplex;

/**
 * A keep-alive agent whose sockets come from `open`, returned at once (still
 * connecting) so the agent counts them: its per-endpoint bound then holds
 * under a burst, and requests wait briefly for a connection instead of each
 * opening one (an mTLS handshake costs far more than the wait; an unbounded
 * pool spiralled under an open-loop 1,000 req/s load).
 */
class PooledAgent extends Agent {
  constructor(private readonly open: Open) {
    super({ keepAlive: true, scheduling: 'lifo', maxSockets: maxConnectionsPerEndpoint });
  }

  override createConnection(options: ClientRequestArgs): Duplex {
    return this.open(options.host ?? '', Number(options.port));
  }
}

/** Arms a connect deadline (node's own has none: an unroutable address would hang for the kernel's SYN timeout). */
function deadline(s: Duplex, event: 'connect' | 'secureConnect', ms: number): Duplex {
  const timer = setTimeout(() => s.destroy(new Error(`connect timed out after ${ms} ms`)), ms);
  s.once(event, () => {
    clearTimeout(timer);
    established.add(s);
  });
  s.once('close', () => clearTimeout(timer));
  return s;
}

/**
 * Kept-alive upstream connections: one plaintext pool (the app, unmeshed
 * peers) and one mTLS pool per peer identity, so requests between two
 * proxies reuse connections instead of paying a handshake each. Each new
 * mTLS connection takes the TLS context in force when it opens, so a
 * certificate rotation reaches new connections while pooled ones finish
 * their life on the old one.
 */
export class Pools {
  readonly plain: Agent;
  readonly #mtls = new Map<string, Agent>();
  readonly #apps = new Map<number, UpstreamPool>();
  readonly #upstreams = new Map<string, UpstreamPool>();

  constructor(private readonly ctx: ProxyContext) {
    this.plain = new PooledAgent((host, port) =>
      deadline(connect({ host, port, noDelay: true }), 'connect', ctx.timeouts.connectMs),
    );
  }

  agentFor(identity: string | undefined): Agent {
    if (!identity) return this.plain;
    let agent = this.#mtls.get(identity);
    if (!agent) {
      agent = new PooledAgent((host, port) => {
        const state = this.ctx.tls();
        const s = tlsConnect({
          host,
          port,
          // Never SNI to an IP; the peer is checked by its SPIFFE ID instead.
          servername: '',
          secureContext: state?.client,
          ALPNProtocols: [alpn.http1],
          checkServerIdentity: requireSpiffeId(identity),
        });
        s.setNoDelay(true);
        if (!state) s.destroy(new Error('no workload identity loaded'));
        return deadline(s, 'secureConnect', this.ctx.timeouts.connectMs);
      });
      this.#mtls.set(identity, agent);
    }
    return agent;
  }

  /** The HTTP/1.1 engine's kept-alive connections to the app on one port (inbound). */
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

  /**
   * The HTTP/1.1 engine's kept-alive connections to one upstream address: mTLS requiring
   * `identity` (each new connection takes the TLS context in force when it opens), or plaintext.
   */
  http1(identity: string | undefined, host: string, port: number): UpstreamPool {
    const key = `${identity ?? ''} ${host}:${port}`;
    let pool = this.#upstreams.get(key);
    if (!pool) {
      const connectMs = this.ctx.timeouts.connectMs;
      pool = new UpstreamPool(
        () => (identity ? connectMtls(this.ctx, identity, host, port) : connectTcp(host, port, connectMs)),
        { maxActive: maxConnectionsPerEndpoint },
      );
      this.#upstreams.set(key, pool);
    }
    return pool;
  }

  destroy(): void {
    for (const p of this.#upstreams.values()) p.destroy();
    this.plain.destroy();
    for (const a of this.#mtls.values()) a.destroy();
    for (const p of this.#apps.values()) p.destroy();
  }
}

/** An mTLS connection to a peer proxy that must present `identity`, resolved once the handshake is done. */
function connectMtls(ctx: ProxyContext, identity: string, host: string, port: number): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const state = ctx.tls();
    if (!state) return reject(new Error('no workload identity loaded'));
    const s = tlsConnect({
      host,
      port,
      // Never SNI to an IP; the peer is checked by its SPIFFE ID instead.
      servername: '',
      secureContext: state.client,
      ALPNProtocols: [alpn.http1],
      checkServerIdentity: requireSpiffeId(identity),
    });
    s.setNoDelay(true);
    const timer = setTimeout(
      () => s.destroy(new Error(`connect timed out after ${ctx.timeouts.connectMs} ms`)),
      ctx.timeouts.connectMs,
    );
    s.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    s.once('secureConnect', () => {
      clearTimeout(timer);
      s.removeAllListeners('error');
      resolve(s);
    });
  });
}
