import type { Duplex } from 'node:stream';

/** How long one side may linger after the other has closed before it is cut. */
const lingerMs = 10_000;

/**
 * Pipes two streams both ways and calls `onClose` once when both are gone.
 * Both sockets must allow half-open, so a half-close travels across and
 * protocols that shut one direction first keep working. An error or reset on
 * either side tears down both.
 */
export function splice(a: Duplex, b: Duplex, onClose: (error?: Error) => void): void {
  let open = 2;
  let firstError: Error | undefined;
  const closed = () => {
    if (--open === 0) onClose(firstError);
  };
  const fail = (err: Error) => {
    firstError ??= err;
    a.destroy();
    b.destroy();
  };
  const follow = (other: Duplex) => () => {
    closed();
    if (other.destroyed) return;
    other.end();
    setTimeout(() => other.destroy(), lingerMs).unref();
  };
  a.on('error', fail);
  b.on('error', fail);
  a.once('close', follow(b));
  b.once('close', follow(a));
  a.pipe(b);
  b.pipe(a);
}
