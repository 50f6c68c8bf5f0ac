import type { Duplex } from 'node:stream';
import type { ProxyContext } from './context.js';
import { endToEndFields, fieldValues, type RequestHead, requestHeadBytes } from './h1/head.js';
import type { BaseLabels } from './metrics.js';
import { splice } from './splice.js';

/**
 * An Upgrade (WebSocket and others): replays the request head on a fresh upstream connection, then
 * the two become one byte stream; the upstream's 101 (or refusal) reaches the client as it was
 * sent. The head keeps its Upgrade field and says `Connection: upgrade`; the other hop-by-hop
 * fields stay behind. Counted as a TCP connection (opened, closed with UC on an error).
 */
export function forwardUpgrade(
  ctx: ProxyContext,
  head: RequestHead,
  client: Duplex,
  rest: Buffer,
  upstream: Duplex,
  labels: BaseLabels,
  onClose: () => void,
): void {
  const fields = endToEndFields(head.headers);
  for (const v of fieldValues(head.headers, 'upgrade')) fields.push('Upgrade', v);
  fields.push('Connection', 'upgrade');
  upstream.write(requestHeadBytes(head, fields));
  if (rest.length > 0) upstream.write(rest);
  const tcp = { ...labels, response_flags: '-' };
  ctx.metrics.tcpOpened.inc(tcp);
  splice(client, upstream, (err) => {
    ctx.metrics.tcpClosed.inc({ ...tcp, response_flags: err ? 'UC' : '-' });
    onClose();
  });
}
