import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { TlsState } from '../identity-store.js';
import { alpn } from '../mtls.js';
import { MuxLink } from './link.js';

/** How long a peer that answered without trellis-mux is dialled the old way before asking again. */
const legacyMs = 60_000;

/**
 * The connections towards one peer proxy's inbound (identity, address, port), as streams of one
 * trellis-mux link. The link is dialled on first use, offering trellis-mux/1 then
 * trellis-http/1.1: a peer that does not know the link yet (mid-upgrade) picks HTTP/1.1 and gets a
 * connection per stream, as before. A rotated certificate takes effect on a new link: the old one
 * keeps its streams until they close, as pooled connections kept the TLS context they opened with.
 */
export class MuxPeer {
  #link: MuxLink | undefined;
  #linkState: TlsState | undefined;
  #dialing: Promise<MuxLink | { socket: TLSSocket | undefined }> | undefined;
  #legacyUntil = 0;

  constructor(
    private readonly tls: () => TlsState | undefined,
    /** mTLS to the peer with the given ALPN offer (mux first, or HTTP/1.1 alone). */
    private readonly dial: (state: TlsState, mux: boolean) => Promise<TLSSocket>,
    private readonly now: () => number = Date.now,
  ) {}

  /** A connection to the peer: a new stream on the link, or a TLS connection of its own. */
  async open(): Promise<Duplex> {
    const state = this.tls();
    if (!state) throw new Error('no workload identity loaded');
    if (this.now() < this.#legacyUntil) return this.dial(state, false);
    let got = await this.#linkFor(state);
    // A rotation seen by another caller while this one waited retires the link it was given.
    if (got instanceof MuxLink && !got.usable) got = await this.#linkFor(this.tls() ?? state);
    if (got instanceof MuxLink) return got.open();
    // The peer picked HTTP/1.1: the first caller takes that connection, the others dial their own.
    if (got.socket) {
      const socket = got.socket;
      got.socket = undefined;
      return socket;
    }
    return this.dial(state, false);
  }

  /** The link in force (retired links finish their streams), or a peer's HTTP/1.1 connection. */
  #linkFor(state: TlsState): Promise<MuxLink | { socket: TLSSocket | undefined }> {
    const link = this.#link;
    if (link?.usable && this.#linkState === state) return Promise.resolve(link);
    if (link && this.#linkState !== state) link.retire();
    this.#link = undefined;
    this.#dialing ??= this.dial(state, true).then(
      (socket) => {
        this.#dialing = undefined;
        if (socket.alpnProtocol !== alpn.mux) {
          this.#legacyUntil = this.now() + legacyMs;
          return { socket };
        }
        const fresh = new MuxLink(socket, undefined, () => {
          if (this.#link === fresh) this.#link = undefined;
        });
        this.#link = fresh;
        this.#linkState = state;
        return fresh;
      },
      (err: unknown) => {
        this.#dialing = undefined;
        throw err;
      },
    );
    return this.#dialing;
  }

  destroy(): void {
    this.#link?.close();
  }
}
