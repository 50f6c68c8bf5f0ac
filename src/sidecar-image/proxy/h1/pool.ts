import type { Duplex } from 'node:stream';

/** An upstream connection lent to one exchange at a time. */
export interface H1Upstream {
  readonly socket: Duplex;
  /** True when it served an exchange before: a reset before any answer may be a keep-alive race. */
  readonly reused: boolean;
  /** Exchanges started on it so far; the lender counts them (maxRequestsPerConnection). */
  served: number;
  /** Who the socket's events go to while it is lent (set by the borrower, cleared on release). */
  user: UpstreamUser | undefined;
}

/**
 * A borrower of a pooled connection. The socket's listeners are the pool's, made once per
 * connection, and hand each event to the current user: a request adds and removes none.
 */
export interface UpstreamUser {
  upData(chunk: Buffer): void;
  /** The upstream half-closed. */
  upEnd(): void;
  /** The connection closed or failed. */
  upGone(): void;
}

/**
 * One pooled connection, the same object for its whole life, with its listeners and idle timer
 * made once: while idle an event drops it (it closed, errored or sent unsolicited bytes), while
 * lent it goes to the user.
 */
class Pooled implements H1Upstream {
  reused = false;
  served = 0;
  idle = false;
  user: UpstreamUser | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    readonly socket: Duplex,
    private readonly dropped: (c: Pooled) => void,
  ) {
    socket
      .on('data', (chunk: Buffer) => (this.idle ? this.drop() : this.user?.upData(chunk)))
      .on('end', () => (this.idle ? this.drop() : this.user?.upEnd()))
      .on('close', () => (this.idle ? this.drop() : this.user?.upGone()))
      .on('error', () => (this.idle ? this.drop() : this.user?.upGone()));
  }

  /** Back in the pool: dropped when it closes, errors, sends bytes or idles out. */
  rest(idleMs: number): void {
    this.idle = true;
    this.user = undefined;
    if (this.#timer) {
      this.#timer.refresh();
      return;
    }
    this.#timer = setTimeout(() => {
      if (this.idle) this.drop();
    }, idleMs);
    this.#timer.unref();
  }

  drop(): void {
    this.idle = false;
    clearTimeout(this.#timer);
    this.dropped(this);
    this.socket.destroy();
  }
}

/**
 * Why there is no connection for a request, as the status and Envoy-style response flag the
 * client gets (any other rejection of acquire() answers 503 UF). Routing refusals use it too:
 * e.g. 502 NR for no route, 503 UH for no healthy endpoint.
 */
export class AcquireError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly flag: string,
    readonly answer: LocalAnswer = {},
  ) {
    super(message);
  }
}

/** How a refusal is answered beyond its status and flag. */
export interface LocalAnswer {
  /** Extra response fields (name, value, ...), e.g. retry-after on a 429. */
  fields?: readonly string[];
  /**
   * The client connection stays open when the request was whole (a policy answer such as 403 RBAC
   * or 429 RL: closing would make every refused caller pay a new handshake). Otherwise it closes.
   */
  keepAlive?: boolean;
  /** A short text/plain body (the flag on a line, as the proxy's other local answers carry). */
  body?: string;
}

export interface PoolLimits {
  /** Idle connections kept; more are closed on release. */
  maxIdle: number;
  /** An idle connection is closed after this long. */
  idleMs: number;
  /**
   * Connections lent or opening at once. Beyond it acquire() waits for one to come back: under a
   * burst, requests queue briefly instead of each paying an mTLS handshake (an unbounded pool
   * spiralled under open-loop load, see pools.ts).
   */
  maxActive: number;
  /** How long acquire() waits for a free connection before failing. */
  waitMs: number;
}

export const defaultPoolLimits: PoolLimits = { maxIdle: 32, idleMs: 30_000, maxActive: 32, waitMs: 5_000 };

interface Waiter {
  resolve: (up: H1Upstream) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * Kept-alive upstream connections to one destination, last in first out. `open` resolves once a
 * connection is usable. Idle connections that close, error or send unsolicited bytes are dropped.
 */
export class UpstreamPool {
  readonly #idle: Pooled[] = [];
  readonly #dropped = (c: Pooled) => {
    const i = this.#idle.indexOf(c);
    if (i >= 0) this.#idle.splice(i, 1);
  };
  readonly #waiters: Waiter[] = [];
  readonly #limits: PoolLimits;
  #active = 0;
  #closed = false;

  constructor(
    private readonly open: () => Promise<Duplex>,
    limits: Partial<PoolLimits> = {},
  ) {
    this.#limits = { ...defaultPoolLimits, ...limits };
  }

  get idle(): number {
    return this.#idle.length;
  }

  /** Lent or opening. */
  get active(): number {
    return this.#active;
  }

  acquire(): Promise<H1Upstream> {
    const c = this.#idle.pop();
    if (c) {
      c.idle = false;
      c.reused = true;
      this.#active++;
      return Promise.resolve(c);
    }
    if (this.#active < this.#limits.maxActive) return this.#openOne();
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
          reject(new AcquireError(`no upstream connection free within ${this.#limits.waitMs} ms`, 503, 'UO'));
        }, this.#limits.waitMs),
      };
      this.#waiters.push(waiter);
    });
  }

  release(up: H1Upstream, reusable: boolean): void {
    this.#active--;
    const c = up as Pooled;
    c.user = undefined;
    const s = c.socket;
    const usable = reusable && !this.#closed && !s.destroyed && s.writable;
    const waiter = usable ? this.#waiters.shift() : undefined;
    if (waiter) {
      // Straight to the next request waiting: it never sits idle.
      clearTimeout(waiter.timer);
      this.#active++;
      c.reused = true;
      waiter.resolve(c);
      return;
    }
    if (!usable || this.#idle.length >= this.#limits.maxIdle) {
      s.destroy();
      this.#wake();
      return;
    }
    c.rest(this.#limits.idleMs);
    this.#idle.push(c);
  }

  destroy(): void {
    this.#closed = true;
    for (const c of this.#idle.splice(0)) c.drop();
    for (const w of this.#waiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(new AcquireError('pool closed', 503, 'UO'));
    }
  }

  async #openOne(): Promise<H1Upstream> {
    this.#active++;
    try {
      return new Pooled(await this.open(), this.#dropped);
    } catch (err) {
      this.#active--;
      this.#wake();
      throw err;
    }
  }

  /** A slot came free without a connection to hand over: open one for the next waiter. */
  #wake(): void {
    if (this.#closed || this.#active >= this.#limits.maxActive) return;
    const waiter = this.#waiters.shift();
    if (!waiter) return;
    clearTimeout(waiter.timer);
    this.#openOne().then(waiter.resolve, waiter.reject);
  }
}
