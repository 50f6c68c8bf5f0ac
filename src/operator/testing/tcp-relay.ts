import type { AddressInfo } from 'node:net';
import { connect, createServer, type Socket } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';

interface Pair {
  client: Socket;
  upstream: Socket;
}

/**
 * A TCP relay to stand between a client and the API server in tests, to break the connection in the two
 * ways networks do: `cut` resets every connection and refuses new ones until `restore`; `blackhole` makes
 * the open connections go silent without closing them (a half-open connection after a partition), while
 * new connections work.
 */
export async function tcpRelay(target: { host: string; port: number }) {
  const pairs = new Set<Pair>();
  let refusing = false;
  const server = createServer((client) => {
    if (refusing) {
      client.destroy();
      return;
    }
    const upstream = connect(target.port, target.host);
    const pair = { client, upstream };
    pairs.add(pair);
    const close = () => {
      client.destroy();
      upstream.destroy();
      pairs.delete(pair);
    };
    for (const socket of [client, upstream]) {
      socket.on('error', close);
      socket.on('close', close);
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const silenced = new Set<Socket>();
  return {
    port: (server.address() as AddressInfo).port,
    /** Connections open right now. */
    get open(): number {
      return pairs.size;
    },
    cut() {
      refusing = true;
      for (const { client, upstream } of pairs) {
        client.destroy();
        upstream.destroy();
      }
    },
    restore() {
      refusing = false;
    },
    blackhole() {
      for (const pair of pairs) {
        pair.client.unpipe(pair.upstream);
        pair.upstream.unpipe(pair.client);
        pair.client.pause();
        pair.upstream.pause();
        silenced.add(pair.client);
        silenced.add(pair.upstream);
        pairs.delete(pair);
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const { client, upstream } of pairs) {
          client.destroy();
          upstream.destroy();
        }
        for (const socket of silenced) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A relay in front of `kc`'s current API server, and a copy of `kc` that talks through it. */
export async function relayedKubeConfig(kc: KubeConfig) {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('kubeconfig has no current cluster');
  const server = new URL(cluster.server);
  const relay = await tcpRelay({ host: server.hostname, port: Number(server.port || 443) });
  const relayed = new KubeConfig();
  relayed.loadFromString(kc.exportConfig());
  // Same certificates; the API server's serving certificate names 127.0.0.1, as the relay's address is.
  relayed.clusters = relayed.clusters.map((c) =>
    c.name === cluster.name ? { ...c, server: `${server.protocol}//127.0.0.1:${relay.port}` } : c,
  );
  return { relay, kc: relayed };
}
