import { performance } from 'node:perf_hooks';
import { CoreV1Api, type KubeConfig, type V1ConfigMap, Watch } from '@kubernetes/client-node';
import { proxyConfigMap } from '../../src/api/names.js';
import type { ProxyConfig } from '../../src/api/proxy-config.js';

const fieldSelector = `metadata.name=${proxyConfigMap.name}`;

/** The document in a ConfigMap. The operator validated it before writing, so it is read unchecked. */

/**
 * Every `trellis-proxy-config` in the cluster, kept current by one watch: the latest document per
 * namespace, and a count of writes (ADDED and MODIFIED events). `until` resolves at the moment an
 * event makes its check true, so convergence times are measured at the watch, not by polling.
 */
export class ProxyConfigWatch {
  readonly docs = new Map<string, ProxyConfig>();
  /** The size of each namespace's document, in bytes. */
  readonly bytes = new Map<string, number>();
  writes = 0;
  /** When the latest write arrived (performance.now()). */
  lastWriteAt = 0;
  #firstWriteAfter: { since: number; at: number | undefined } | undefined;
  #waiter: { check: () => boolean; resolve: (at: number) => void } | undefined;
  #failed: Error | undefined;
  #abort: AbortController | undefined;

  static async start(kc: KubeConfig): Promise<ProxyConfigWatch> {
    const w = new ProxyConfigWatch();
    const list = await kc.makeApiClient(CoreV1Api).listConfigMapForAllNamespaces({ fieldSelector });
    for (const cm of list.items) w.#set(cm);
    w.#abort = await new Watch(kc).watch(
      '/api/v1/configmaps',
      { fieldSelector, resourceVersion: list.metadata?.resourceVersion, allowWatchBookmarks: true },
      (type: string, obj: V1ConfigMap) => w.#event(type, obj),
      (err: unknown) => {
        if (!w.#abort?.signal.aborted) w.#failed = new Error(`the ConfigMap watch ended: ${String(err)}`);
      },
    );
    return w;
  }

  #set(cm: V1ConfigMap) {
    const namespace = cm.metadata?.namespace;
    const text = cm.data?.[proxyConfigMap.key];
    if (!namespace || !text) return;
    // The operator validated the document before writing it, so it is read unchecked.
    this.docs.set(namespace, JSON.parse(text) as ProxyConfig);
    this.bytes.set(namespace, Buffer.byteLength(text));
  }

  #event(type: string, obj: V1ConfigMap) {
    const at = performance.now();
    if (type === 'ADDED' || type === 'MODIFIED') {
      this.writes++;
      this.lastWriteAt = at;
      if (this.#firstWriteAfter && this.#firstWriteAfter.at === undefined) this.#firstWriteAfter.at = at;
      this.#set(obj);
    } else if (type === 'DELETED' && obj.metadata?.namespace) {
      this.docs.delete(obj.metadata.namespace);
      this.bytes.delete(obj.metadata.namespace);
    }
    if (this.#waiter?.check()) {
      this.#waiter.resolve(at);
      this.#waiter = undefined;
    }
  }

  /** Starts noting when the next write arrives; `firstWrite` reads it. */
  markChange(since: number): void {
    this.#firstWriteAfter = { since, at: undefined };
  }

  /** Milliseconds from the marked change to the first write after it, if one came. */
  firstWrite(): number | undefined {
    const mark = this.#firstWriteAfter;
    return mark?.at === undefined ? undefined : mark.at - mark.since;
  }

  /** When `check` holds (now, or at the event that makes it hold); fails after `timeoutMs`. */
  until(what: string, check: () => boolean, timeoutMs: number): Promise<number> {
    if (this.#failed) return Promise.reject(this.#failed);
    if (check()) return Promise.resolve(performance.now());
    return new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiter = undefined;
        reject(this.#failed ?? new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}`));
      }, timeoutMs);
      this.#waiter = {
        check,
        resolve: (at) => {
          clearTimeout(timer);
          resolve(at);
        },
      };
    });
  }

  stop(): void {
    this.#abort?.abort();
  }
}
