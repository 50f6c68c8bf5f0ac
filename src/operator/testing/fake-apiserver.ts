import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';

export interface Seen {
  watch: boolean;
  query: URLSearchParams;
  at: number;
}

/**
 * A plain-HTTP stand-in for the API server in unit tests, for behaviour the real one will not show on
 * demand (a stream that goes silent, a list that fails). `answer` decides each response; `seen` records
 * every request, so tests can tell lists from watches and read their query.
 */
export async function fakeApiServer(answer: (req: Seen, res: ServerResponse, raw: IncomingMessage) => void) {
  const seen: Seen[] = [];
  const open = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const request = {
      watch: url.searchParams.get('watch') === 'true',
      query: url.searchParams,
      at: Date.now(),
    };
    seen.push(request);
    open.add(res);
    res.on('close', () => open.delete(res));
    answer(request, res, req);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'fake', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: 'fake' }],
    contexts: [{ name: 'fake', cluster: 'fake', user: 'fake' }],
    currentContext: 'fake',
  });
  return {
    kc,
    seen,
    lists: () => seen.filter((s) => !s.watch),
    watches: () => seen.filter((s) => s.watch),
    async close() {
      for (const res of open) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

export function configMap(
  name: string,
  namespace: string,
  resourceVersion: string,
  labels?: Record<string, string>,
) {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace, resourceVersion, labels } };
}
