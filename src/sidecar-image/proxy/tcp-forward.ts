import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ProxyContext } from './context.js';
import type { TcpLabels } from './metrics.js';
import { splice } from './splice.js';

/**
 * Opaque TCP: bytes both ways, counted when the connection closes. The
 * response flag says how it ended (UC: upstream connection reset or error).
 */
export function forwardTcp(
  ctx: ProxyContext,
  client: Duplex,
  upstream: Socket | Duplex,
  labels: TcpLabels,
  onClose?: () => void,
): void {
  const m = ctx.metrics;
  m.tcpOpened.inc(labels);
  const idle = ctx.timeouts.tcpIdleMs;
  if ('setTimeout' in client && typeof client.setTimeout === 'function') {
    client.setTimeout(idle, () => client.destroy());
  }
  const sent = () => ('bytesWritten' in upstream ? (upstream as Socket).bytesWritten : 0);
  const received = () => ('bytesRead' in upstream ? (upstream as Socket).bytesRead : 0);
  splice(client, upstream, (err) => {
    const closed = { ...labels, response_flags: err ? 'UC' : labels.response_flags };
    m.tcpClosed.inc(closed);
    m.tcpSentBytes.inc(labels, sent());
    m.tcpReceivedBytes.inc(labels, received());
    onClose?.();
  });
}
