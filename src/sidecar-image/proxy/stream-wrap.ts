import { Duplex } from 'node:stream';

/**
 * A plain Duplex over another stream. node's HTTP/2 session reads a socket
 * through its native handle; over a TLSSocket we built around an accepted
 * socket (bare, not from tls.Server) that reads nothing, so HTTP/2 gets the
 * decrypted bytes through this JS-level stream instead.
 */
export function wrapStream(inner: Duplex): Duplex {
  const outer = new Duplex({
    read() {
      inner.resume();
    },
    write(chunk: Buffer, _enc, cb) {
      inner.write(chunk, cb);
    },
    final(cb) {
      inner.end();
      cb();
    },
    destroy(err, cb) {
      inner.destroy(err ?? undefined);
      cb(err);
    },
  });
  inner.on('data', (d: Buffer) => {
    if (!outer.push(d)) inner.pause();
  });
  inner.on('end', () => outer.push(null));
  inner.on('error', (err) => outer.destroy(err));
  inner.on('close', () => outer.destroy());
  return outer;
}
