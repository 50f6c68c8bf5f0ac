import type { Duplex } from 'node:stream';

export type Sniffed = 'tls' | 'h2' | 'http1' | 'tcp';

const h2Preface = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
const methods = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH'].map((m) =>
  Buffer.from(`${m} `),
);

/** True when `buf` is a prefix of `whole` or starts with it. */
function agrees(buf: Buffer, whole: Buffer): boolean {
  const n = Math.min(buf.length, whole.length);
  return buf.subarray(0, n).equals(whole.subarray(0, n));
}

/**
 * Classifies the first bytes a client sent; undefined means the bytes so far
 * could still become more than one thing, so read more.
 */
export function classify(buf: Buffer): Sniffed | undefined {
  if (buf.length === 0) return undefined;
  // A TLS record header: handshake (22), version 3.x.
  if (buf[0] === 0x16) return buf.length < 2 ? undefined : buf[1] === 0x03 ? 'tls' : 'tcp';
  if (agrees(buf, h2Preface)) return buf.length >= h2Preface.length ? 'h2' : undefined;
  let possible = false;
  for (const m of methods) {
    if (!agrees(buf, m)) continue;
    if (buf.length >= m.length) return 'http1';
    possible = true;
  }
  return possible ? undefined : 'tcp';
}

/** The largest TLS record (16 KiB plus header); a ClientHello must fit in one. */
const maxRecord = 16_389;

/** True once `buf` holds the whole first TLS record (or as much as one record may be). */
function wholeRecord(buf: Buffer): boolean {
  return buf.length >= maxRecord || (buf.length >= 5 && buf.length >= 5 + buf.readUInt16BE(3));
}

/**
 * Reads until the first bytes are classified, then puts them back so the
 * next reader sees the stream whole. A client that says nothing (a
 * server-first protocol such as MySQL or SMTP) is TCP after `timeoutMs`.
 */
export async function sniff(socket: Duplex, timeoutMs: number): Promise<Sniffed> {
  return (await sniffHead(socket, timeoutMs)).kind;
}

/** As sniff, also returning the bytes read: for TLS, the whole first record (the ClientHello). */
export function sniffHead(socket: Duplex, timeoutMs: number): Promise<{ kind: Sniffed; head: Buffer }> {
  return new Promise((resolve) => {
    let seen: Buffer = Buffer.alloc(0);
    const finish = (kind: Sniffed) => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      socket.pause();
      if (seen.length > 0) socket.unshift(seen);
      resolve({ kind, head: seen });
    };
    const onData = (chunk: Buffer) => {
      seen = seen.length === 0 ? chunk : Buffer.concat([seen, chunk]);
      const kind = classify(seen);
      if (kind && (kind !== 'tls' || wholeRecord(seen))) finish(kind);
    };
    const onEnd = () => finish(classify(seen) ?? 'tcp');
    const timer = setTimeout(() => finish(classify(seen) ?? 'tcp'), timeoutMs);
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('close', onEnd);
  });
}
