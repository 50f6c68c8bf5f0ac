import { Agent, type ClientRequestArgs } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ProxyContext } from './context.js';
import { connectMtls } from './mtls.js';

/**
 * An agent whose connections are mTLS to peer proxies presenting exactly
 * `identity`. Each new connection takes the TLS context in force when it
 * opens, so a certificate rotation reaches new connections while pooled
 * ones finish their life on the old one.
 */
class MtlsAgent extends Agent {
  constructor(
    private readonly ctx: ProxyContext,
    private readonly identity: string,
  ) {
    super({ keepAlive: true, scheduling: 'lifo' });
  }

  override createConnection(
    options: ClientRequestArgs,
    callback?: (err: Error | null, stream: Duplex) => void,
  ): Duplex | null | undefined {
    const tls = this.ctx.tls();
    const done = callback ?? (() => {});
    if (!tls) {
      process.nextTick(() => done(new Error('no workload identity loaded'), undefined as unknown as Duplex));
      return undefined;
    }
    connectMtls(
      {
        host: options.host ?? '',
        port: Number(options.port),
        expectedId: this.identity,
        protocol: 'http1',
        connectMs: this.ctx.timeouts.connectMs,
      },
      tls,
    ).then(
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
  readonly plain = new Agent({ keepAlive: true, scheduling: 'lifo' });
  readonly #mtls = new Map<string, MtlsAgent>();

  constructor(private readonly ctx: ProxyContext) {}

  agentFor(identity: string | undefined): Agent {
    if (!identity) return this.plain;
    let agent = this.#mtls.get(identity);
    if (!agent) {
      agent = new MtlsAgent(this.ctx, identity);
      this.#mtls.set(identity, agent);
    }
    return agent;
  }

  destroy(): void {
    this.plain.destroy();
    for (const a of this.#mtls.values()) a.destroy();
  }
}
