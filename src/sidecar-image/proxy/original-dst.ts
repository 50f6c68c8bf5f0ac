import { createRequire } from 'node:module';
import type { Socket } from 'node:net';

export interface Destination {
  address: string;
  port: number;
}

/** Finds where an accepted connection was going before it was captured. */
export type OriginalDst = (socket: Socket) => Destination | undefined;

interface Addon {
  /** The destination, or a negative errno (-ENOENT when the connection was not redirected). */
  originalDst(fd: number): Destination | number;
}

let addon: Addon | undefined;
function load(): Addon {
  // Built by the package's install script (node-gyp, native/binding.gyp).
  addon ??= createRequire(import.meta.url)('./native/build/Release/original_dst.node') as Addon;
  return addon;
}

/**
 * The file descriptor behind a net.Socket. Node keeps it on the internal
 * libuv handle and offers no public accessor; TCP handles on Linux always
 * have one while the socket is open.
 */
function fdOf(socket: Socket): number | undefined {
  const handle = (socket as unknown as { _handle?: { fd?: number } })._handle;
  return typeof handle?.fd === 'number' && handle.fd >= 0 ? handle.fd : undefined;
}

/** SO_ORIGINAL_DST of a socket redirected by iptables; undefined when it was not redirected. */
export const soOriginalDst: OriginalDst = (socket) => {
  const fd = fdOf(socket);
  if (fd === undefined) return undefined;
  const r = load().originalDst(fd);
  return typeof r === 'number' ? undefined : r;
};
