import net from 'node:net';

export interface Forwarder {
  /** The port it listens on (the one asked for, or the one given for 0). */
  port: number;
  close: () => Promise<void>;
}

/**
 * What kube-proxy does for the `kubernetes` Service, and nothing more: a TCP
 * listener on the bridge's host address that pipes each connection to the
 * API server on loopback. No iptables, no forwarding between interfaces.
 */
export async function forwardApiServer(
  listen: { host: string; port: number },
  target: { host: string; port: number },
): Promise<Forwarder> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(target);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => resolve());
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
