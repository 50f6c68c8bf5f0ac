import type { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createSecureContext, type SecureContext } from 'node:tls';
import type { Logger } from 'pino';
import { identityFiles } from '../../api/names.js';
import { checkIdentity, type Identity, splitPem } from './identity.js';
import type { Metrics } from './metrics.js';
import { type DirWatch, watchDir } from './watch-dir.js';

/** The TLS material in force. Connections take a context when they start and keep it to their end. */
export interface TlsState {
  identity: Identity;
  /** For the inbound listener (TLS 1.3, mesh CA trusted for client certificates). */
  server: SecureContext;
  /** For mTLS towards peer proxies. */
  client: SecureContext;
  /** The mesh CA certificates, to check peers' chains. */
  roots: X509Certificate[];
}

export function buildTlsState(identity: Identity): TlsState {
  const opts = {
    cert: identity.cert,
    key: identity.key,
    ca: identity.ca,
    minVersion: 'TLSv1.3',
    maxVersion: 'TLSv1.3',
  } as const;
  return {
    identity,
    server: createSecureContext(opts),
    client: createSecureContext(opts),
    roots: splitPem(identity.ca),
  };
}

/**
 * The workload identity from the mounted Secret. Rotation swaps the contexts
 * that new connections use; connections in flight keep the one they started
 * with, so nothing is dropped. A certificate that fails the check (expired,
 * wrong CA, key mismatch) is refused and the previous one stays.
 */
export class IdentityStore {
  #state: TlsState | undefined;
  #lastText: string | undefined;
  #watch: DirWatch | undefined;

  constructor(
    private readonly dir: string,
    private readonly log: Logger,
    private readonly metrics: Metrics,
  ) {}

  get current(): TlsState | undefined {
    return this.#state;
  }

  async reload(): Promise<boolean> {
    let pem: { cert: string; key: string; ca: string };
    try {
      const [cert, key, ca] = await Promise.all(
        [identityFiles.cert, identityFiles.key, identityFiles.ca].map((f) =>
          readFile(join(this.dir, f), 'utf8'),
        ),
      );
      pem = { cert: cert ?? '', key: key ?? '', ca: ca ?? '' };
    } catch (err) {
      if (this.#lastText !== '')
        this.log.warn({ dir: this.dir, err: (err as Error).message }, 'identity unreadable');
      this.#lastText = '';
      return false;
    }
    const text = pem.cert + pem.key + pem.ca;
    if (text === this.#lastText) return false;
    this.#lastText = text;
    const checked = checkIdentity(pem);
    if (!checked.ok) {
      this.metrics.identityReloads.inc({ result: 'rejected' });
      this.log.error({ error: checked.error, keeping: this.#state !== undefined }, 'identity rejected');
      return false;
    }
    this.#state = buildTlsState(checked.identity);
    this.metrics.identityReloads.inc({ result: 'success' });
    this.metrics.identityExpiry.set(checked.identity.notAfter.getTime() / 1000);
    this.log.info(
      { spiffeId: checked.identity.spiffeId, notAfter: checked.identity.notAfter.toISOString() },
      'identity loaded',
    );
    return true;
  }

  async start(opts?: { debounceMs?: number; pollMs?: number }): Promise<void> {
    await this.reload();
    this.#watch = watchDir(this.dir, () => void this.reload(), opts);
  }

  stop(): void {
    this.#watch?.close();
  }
}
