import { X509Certificate } from 'node:crypto';
import type { Socket } from 'node:net';
import {
  type ConnectionOptions,
  type DetailedPeerCertificate,
  TLSSocket,
  connect as tlsConnect,
} from 'node:tls';
import { connectTcp } from './connect.js';
import { spiffeIdOf, verifyChain } from './identity.js';
import type { TlsState } from './identity-store.js';

/**
 * ALPN values between Trellis proxies: the inner protocol, so the peer needs
 * no sniffing; their prefix also tells mesh mTLS apart from TLS an app
 * terminates itself.
 */
export const alpn = {
  tcp: 'trellis-tcp',
  http1: 'trellis-http/1.1',
  h2: 'trellis-h2',
  /** HTTP/1.1 connections multiplexed over one link (mux/link.ts). */
  mux: 'trellis-mux/1',
} as const;
export const isMeshAlpn = (offered: readonly string[]): boolean => offered.some((p) => byAlpn.has(p));
export type InnerProtocol = keyof typeof alpn;
const byAlpn = new Map<string, InnerProtocol>(Object.entries(alpn).map(([k, v]) => [v, k as InnerProtocol]));

export function innerProtocolOf(negotiated: string | false | null | undefined): InnerProtocol | undefined {
  return negotiated ? byAlpn.get(negotiated) : undefined;
}

/** The certificates the peer presented, leaf first. */
function peerChain(tls: TLSSocket): X509Certificate[] {
  const chain: X509Certificate[] = [];
  const seen = new Set<string>();
  let c: DetailedPeerCertificate | undefined = tls.getPeerCertificate(true);
  while (c?.raw && !seen.has(c.fingerprint256)) {
    seen.add(c.fingerprint256);
    chain.push(new X509Certificate(c.raw));
    c = c.issuerCertificate;
  }
  return chain;
}

function trustDomainOf(spiffeId: string): string {
  return spiffeId.slice('spiffe://'.length).split('/')[0] ?? '';
}

/**
 * Terminates mTLS on an accepted socket (the bytes already sniffed are still
 * in its buffer; TLSSocket replays them). OpenSSL checks the client's chain
 * against the mesh CA and its validity dates; we then require one SPIFFE ID
 * in our trust domain. Resolves with the peer's SPIFFE ID.
 */
export function acceptMtls(
  socket: Socket,
  state: TlsState,
  trustDomain: string,
  handshakeMs: number,
): Promise<{ tls: TLSSocket; peerId: string }> {
  return new Promise((resolve, reject) => {
    const tls = new TLSSocket(socket, {
      isServer: true,
      secureContext: state.server,
      requestCert: true,
      ALPNProtocols: [alpn.tcp, alpn.h2, alpn.mux, alpn.http1],
    });
    const timer = setTimeout(() => fail(new Error('TLS handshake timed out')), handshakeMs);
    const fail = (err: Error) => {
      clearTimeout(timer);
      tls.destroy();
      socket.destroy();
      reject(err);
    };
    tls.once('error', fail);
    tls.once('secure', () => {
      clearTimeout(timer);
      tls.off('error', fail);
      // A bare server TLSSocket records OpenSSL's verdict but exposes it only to tls.Server,
      // which cannot take a socket we have already read from; so check the chain here.
      const chain = peerChain(tls);
      const broken = verifyChain(chain, state.roots, new Date());
      if (broken) return fail(new Error(`peer certificate refused: ${broken}`));
      const peerId = chain[0] && spiffeIdOf(chain[0]);
      if (!peerId) return fail(new Error('peer certificate has no SPIFFE ID'));
      if (trustDomainOf(peerId) !== trustDomain)
        return fail(new Error(`peer ${peerId} is outside ${trustDomain}`));
      resolve({ tls, peerId });
    });
  });
}

/** A tls checkServerIdentity that accepts exactly one URI SAN, `expectedId`. */
export function requireSpiffeId(expectedId: string): NonNullable<ConnectionOptions['checkServerIdentity']> {
  return (_host, cert) => {
    const got = cert.subjectaltname
      ?.split(', ')
      .filter((s) => s.startsWith('URI:'))
      .map((s) => s.slice(4));
    return got?.length === 1 && got[0] === expectedId
      ? undefined
      : new Error(`peer presented ${got?.join(',') || 'no SPIFFE ID'}, expected ${expectedId}`);
  };
}

/**
 * Opens mTLS to a peer proxy and requires it to present exactly `expectedId`
 * (a pod IP proves nothing; the certificate does). The TCP socket is ours so
 * it allows half-open, which splice needs.
 */
export async function connectMtls(
  opts: {
    host: string;
    port: number;
    expectedId: string;
    /** The inner protocol; with `fallback`, the one offered second (the peer picks). */
    protocol: InnerProtocol;
    fallback?: InnerProtocol;
    connectMs: number;
  },
  state: TlsState,
): Promise<TLSSocket> {
  const socket = await connectTcp(opts.host, opts.port, opts.connectMs);
  return new Promise((resolve, reject) => {
    const options: ConnectionOptions = {
      socket,
      secureContext: state.client,
      ALPNProtocols: opts.fallback ? [alpn[opts.protocol], alpn[opts.fallback]] : [alpn[opts.protocol]],
      checkServerIdentity: requireSpiffeId(opts.expectedId),
    };
    const tls = tlsConnect(options);
    const timer = setTimeout(() => tls.destroy(new Error('TLS handshake timed out')), opts.connectMs);
    const onError = (err: Error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    };
    tls.once('error', onError);
    tls.once('secureConnect', () => {
      clearTimeout(timer);
      tls.off('error', onError);
      resolve(tls);
    });
  });
}
