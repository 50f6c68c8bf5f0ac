import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { proxyConfigMap } from '../../api/names.js';
import { type ProxyConfig, parseProxyConfig } from '../../api/proxy-config.js';
import type { Metrics } from './metrics.js';
import { type DirWatch, watchDir } from './watch-dir.js';

export type ConfigListener = (config: ProxyConfig) => void;

/**
 * The current proxy config. A new document replaces it only when it parses
 * against the schema; a bad one is logged and counted, and the last good
 * config stays in force so a broken ConfigMap never takes traffic down.
 */
export class ConfigStore {
  #current: ProxyConfig | undefined;
  #lastText: string | undefined;
  #watch: DirWatch | undefined;
  readonly #listeners: ConfigListener[] = [];

  /**
   * `check` runs on a document the schema accepted and may still refuse it (the proxy compiles its
   * policies there): an error string keeps the last good config in force, as a schema error does.
   */
  constructor(
    private readonly dir: string,
    private readonly log: Logger,
    private readonly metrics: Metrics,
    private readonly check: (config: ProxyConfig) => string | undefined = () => undefined,
  ) {}

  get current(): ProxyConfig | undefined {
    return this.#current;
  }

  onChange(listener: ConfigListener): void {
    this.#listeners.push(listener);
  }

  /** Reads the file; returns whether the config in force changed. */
  async reload(): Promise<boolean> {
    const file = join(this.dir, proxyConfigMap.key);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      // Missing while kubelet swaps the symlink, or not mounted yet: not an error worth counting twice.
      if (this.#lastText !== '') this.log.warn({ file, err: (err as Error).message }, 'config unreadable');
      this.#lastText = '';
      return false;
    }
    if (text === this.#lastText) return false;
    this.#lastText = text;
    const parsed = parseProxyConfig(text);
    const error = parsed.ok ? this.check(parsed.config) : parsed.error;
    if (!parsed.ok || error !== undefined) {
      this.metrics.configReloads.inc({ result: 'rejected' });
      this.log.error({ file, error, keeping: this.#current !== undefined }, 'config rejected');
      return false;
    }
    this.#current = parsed.config;
    this.metrics.configReloads.inc({ result: 'success' });
    this.log.info({ services: parsed.config.services.length }, 'config loaded');
    for (const l of this.#listeners) l(parsed.config);
    return true;
  }

  /** Loads now, then follows changes to the directory. */
  async start(opts?: { debounceMs?: number; pollMs?: number }): Promise<void> {
    await this.reload();
    this.#watch = watchDir(this.dir, () => void this.reload(), opts);
  }

  stop(): void {
    this.#watch?.close();
  }
}
