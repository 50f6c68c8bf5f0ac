import { Agent, type ClientRequestArgs } from 'node:http';
import type { Duplex } from 'node:stream';
import { connectTcp } from './connect.js';
import type { ProxyContext } from './context.js';
import { connectMtls } from './mtls.js';

type Connect = (host: string, port: number) => Promise<Duplex>;

/**
 * A keep-alive agent whose connections come from `connect`: a deadline on
 * plain connects (node's own has none, so an unroutable address would hang
 * for the kernel's SYN timeout), or mTLS to peer proxies presenting exactly
 * one identity. Each new connection takes the TLS context in force when it
 * opens, so a certificate rotation reaches new connections while pooled ones
 * finish their life on the old one.
 */
class PooledAgent extends Agent {
  constructor(private readonly connect: Connect) {
    super({ keepAlive: true, scheduling: 'lifo' });
  }

  override createConnection(
    options: ClientRequestArgs,
    callback?: (err: Error | null, stream: Duplex) => void,
  ): Duplex | null | undefined {
    const done = callback ?? (() => {});
    this.connect(options.host ?? '', Number(options.port)).then(
      (s) => done(null, s),
      // The callback's type wants a stream even on error; node ignores it then.
      (err: Error) => done(err, undefined as unknown as Duplex),
    );
    return undefined;
  }
}

/**
 * Kept-alive upstream connections: one plaintext pool (the app, unmeshed
 * peers) and one mTLS pool per peer identity, so requests between two
 * proxies reuse connections instead of paying a handshake each.
 */
export class Pools {
  readonly plain: Agent;
  readonly #mtls = new Map<string, Agent>();

  constructor(private readonly ctx: ProxyContext) {
    this.plain = new PooledAgent((host, port) => connectTcp(host, port, ctx.timeouts.connectMs));
  }

  agentFor(identity: string | undefined): Agent {
    if (!identity) return this.plain;
    let agent = this.#mtls.get(identity);
    if (!agent) {
      agent = new PooledAgent(async (host, port) => {
        const tls = this.ctx.tls();
        if (!tls) throw new Error('no workload identity loaded');
        return connectMtls(
          { host, port, expectedId: identity, protocol: 'http1', connectMs: this.ctx.timeouts.connectMs },
          tls,
        );
      });
      this.#mtls.set(identity, agent);
    }
    return agent;
  }

  destroy(): void {
    this.plain.destroy();
    for (const a of this.#mtls.values()) a.destroy();
  }
}
