import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';

/**
 * `POST /quit` on the admin port: how a Job's app, when the proxy is not a
 * native sidecar, lets its pod complete. It starts the same drain as `/drain`
 * (which already ends in exit 0); what differs is who may ask. `/drain` takes
 * GET from anywhere because the kubelet's preStop hook comes from the node;
 * `/quit` takes only POST from 127.0.0.1, i.e. from a container of this pod,
 * so nothing outside the pod can end it.
 */

export type QuitAnswer =
  | { quit: true; status: 202; body: string }
  | { quit: false; status: 403 | 405; body: string };

/** Whether a request may quit the proxy, from its method and the peer's address. */
export function quitAnswer(method: string | undefined, remoteAddress: string | undefined): QuitAnswer {
  if (method !== 'POST') return { quit: false, status: 405, body: 'use POST\n' };
  // The admin server listens on IPv4, so a loopback peer shows as 127.0.0.1 (or its IPv6-mapped form).
  if (remoteAddress !== '127.0.0.1' && remoteAddress !== '::ffff:127.0.0.1') {
    return { quit: false, status: 403, body: 'quit is accepted from 127.0.0.1 only\n' };
  }
  return { quit: true, status: 202, body: 'quitting\n' };
}

/** Serves `/quit`: answers, then starts the drain (which exits 0 once connections have finished). */
export function serveQuit(
  req: IncomingMessage,
  res: ServerResponse,
  deps: { drain: () => void; log: Logger },
): void {
  const a = quitAnswer(req.method, req.socket.remoteAddress);
  res.writeHead(a.status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(a.body),
  });
  res.end(a.body);
  if (!a.quit) {
    deps.log.warn({ method: req.method, from: req.socket.remoteAddress }, 'quit refused');
    return;
  }
  deps.log.info('quit requested on the admin port');
  deps.drain();
}
