import type { Duplex } from 'node:stream';

/** An upstream connection lent to one exchange at a time. */
export interface H1Upstream {
  socket: Duplex;
  /** True when it served an exchange before: a reset before any answer may be a keep-alive race. */
  reused: boolean;
}

/**
 * Kept-alive upstream connections to one destination, last in first out. `open` returns a
 * connection that may still be connecting (it resolves once usable). Idle connections that
 * close, error or send unsolicited bytes are dropped; at most `maxIdle` are kept, each for at
 * most `idleMs`.
 */
export class UpstreamPool {
  readonly #idle: { socket: Duplex; timer: NodeJS.Timeout; drop: () => void }[] = [];
  #closed = false;

  constructor(
    private readonly open: () => Promise<Duplex>,
    private readonly maxIdle = 32,
    private readonly idleMs = 30_000,
  ) {}

  get idle(): number {
    return this.#idle.length;
  }

  async acquire(): Promise<H1Upstream> {
    const entry = this.#idle.pop();
    if (entry) {
      clearTimeout(entry.timer);
      entry.socket
        .off('data', entry.drop)
        .off('end', entry.drop)
        .off('close', entry.drop)
        .off('error', entry.drop);
      return { socket: entry.socket, reused: true };
    }
    return { socket: await this.open(), reused: false };
  }

  release(up: H1Upstream, reusable: boolean): void {
    const s = up.socket;
    if (!reusable || this.#closed || this.#idle.length >= this.maxIdle || s.destroyed || !s.writable) {
      s.destroy();
      return;
    }
    const entry = {
      socket: s,
      timer: setTimeout(() => entry.drop(), this.idleMs),
      drop: () => {
        clearTimeout(entry.timer);
        const i = this.#idle.indexOf(entry);
        if (i >= 0) this.#idle.splice(i, 1);
        s.destroy();
      },
    };
    entry.timer.unref();
    s.on('data', entry.drop).on('end', entry.drop).on('close', entry.drop).on('error', entry.drop);
    this.#idle.push(entry);
  }

  destroy(): void {
    this.#closed = true;
    for (const e of this.#idle.splice(0)) {
      clearTimeout(e.timer);
      e.socket.destroy();
    }
  }
}
