import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import {
  type ApiConstructor,
  type ApiType,
  createConfiguration,
  type KubeConfig,
  KubernetesObjectApi,
  type Middleware,
  ServerConfiguration,
} from '@kubernetes/client-node';

/** The TLS settings client-node puts on the agent it makes per request; a pooled agent must match them. */
const tlsFields = ['ca', 'cert', 'key', 'pfx', 'passphrase', 'rejectUnauthorized', 'servername'] as const;

const text = (v: unknown): string =>
  Buffer.isBuffer(v) ? v.toString('base64') : Array.isArray(v) ? v.map(text).join(',') : String(v);

/**
 * client-node 1.4 makes a new `https.Agent` without keep-alive for every request
 * (KubeConfig.applySecurityAuthentication and applyToHTTPSOptions both call its private createAgent), so
 * every API call opened a TCP connection and did a TLS handshake: most of the CPU left in a
 * reconcile. Its per-request agent carries the TLS settings from the kubeconfig; this pool hands out one
 * keep-alive agent per distinct set of them instead, so connections are reused and settings that change
 * (a rotated client certificate) still take effect. Proxy agents (a kubeconfig `proxy-url`) are left
 * as they are: their type and settings are not ours to copy.
 */
export class KeepAliveAgents {
  readonly #agents = new Map<string, HttpAgent>();

  /** The pooled agent to use instead of `made`, or `made` itself when it is not a plain http(s) agent. */
  reuse<T extends object>(made: T): T | HttpAgent {
    // Exactly these classes: a subclass (a proxy agent) holds more than the TLS settings copied here.
    const kind: unknown = made instanceof HttpAgent ? made.constructor : undefined;
    if (kind !== HttpsAgent && kind !== HttpAgent) return made;
    const https = kind === HttpsAgent;
    const options = (made as unknown as { options: Record<string, unknown> }).options;
    const key = [https ? 'https' : 'http', ...tlsFields.map((f) => `${f}=${text(options[f])}`)].join('\n');
    let agent = this.#agents.get(key);
    if (!agent) {
      const settings = { ...Object.fromEntries(tlsFields.map((f) => [f, options[f]])), keepAlive: true };
      agent = https ? new HttpsAgent(settings) : new HttpAgent(settings);
      this.#agents.set(key, agent);
    }
    return agent;
  }

  /** Pooled agents so far: one per distinct TLS setting. */
  get size(): number {
    return this.#agents.size;
  }

  /** Generated-client middleware: runs after authentication has set the per-request agent. */
  middleware(): Middleware {
    return {
      pre: async (context) => {
        const made = context.getAgent();
        if (made) context.setAgent(this.reuse(made));
        return context;
      },
      post: async (response) => response,
    };
  }

  /** Closes the idle pooled connections. */
  destroy(): void {
    for (const agent of this.#agents.values()) agent.destroy();
    this.#agents.clear();
  }
}

/** One pool per KubeConfig: every client made from the same kubeconfig shares its connections. */
const pools = new WeakMap<KubeConfig, KeepAliveAgents>();

export function keepAliveAgents(kc: KubeConfig): KeepAliveAgents {
  let pool = pools.get(kc);
  if (!pool) {
    pool = new KeepAliveAgents();
    pools.set(kc, pool);
  }
  return pool;
}

/** `kc.makeApiClient(type)`, with the kubeconfig's keep-alive pool in place of an agent per request. */
export function makeKeepAliveClient<T extends ApiType>(kc: KubeConfig, type: ApiConstructor<T>): T {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('No active cluster!');
  return new type(
    createConfiguration({
      baseServer: new ServerConfiguration(cluster.server, {}),
      authMethods: { default: kc },
      promiseMiddleware: [keepAliveAgents(kc).middleware()],
    }),
  );
}

/** KubernetesObjectApi can take the context's namespace as its default only from within (protected). */
class ObjectApi extends KubernetesObjectApi {
  withContextNamespace(kc: KubeConfig): this {
    this.setDefaultNamespace(kc);
    return this;
  }
}

/** `KubernetesObjectApi.makeApiClient(kc)` over the keep-alive pool: same default namespace. */
export function makeKeepAliveObjectApi(kc: KubeConfig): KubernetesObjectApi {
  return makeKeepAliveClient(kc, ObjectApi).withContextNamespace(kc);
}
