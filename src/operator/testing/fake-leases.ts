import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson } from './fake-apiserver.js';

interface StoredLease {
  metadata: { name: string; namespace: string; resourceVersion: string };
  spec?: Record<string, unknown>;
}

const leasePath = /^\/apis\/coordination\.k8s\.io\/v1\/namespaces\/([^/]+)\/leases(?:\/([^/?]+))?/;

function readBody(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('error', reject);
    req.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}')));
  });
}

const status = (code: number, reason: string) => ({
  kind: 'Status',
  apiVersion: 'v1',
  status: 'Failure',
  code,
  reason,
});

/**
 * The Lease endpoints of the API server, enough for leader election in unit tests: read, create (409 when
 * it exists) and replace (409 unless the resourceVersion matches). `down` makes every call fail with 503,
 * as an unreachable API server would for the candidate.
 */
export function fakeLeases() {
  const leases = new Map<string, StoredLease>();
  let version = 0;
  const state = { down: false, writes: 0 };
  const handle = (req: IncomingMessage, res: ServerResponse): boolean => {
    const match = leasePath.exec(req.url ?? '');
    if (!match) return false;
    if (state.down) {
      sendJson(res, 503, status(503, 'ServiceUnavailable'));
      return true;
    }
    const namespace = match[1] ?? '';
    const name = match[2];
    void (async () => {
      if (req.method === 'GET' && name) {
        const lease = leases.get(`${namespace}/${name}`);
        if (lease) sendJson(res, 200, lease);
        else sendJson(res, 404, status(404, 'NotFound'));
        return;
      }
      const body = (await readBody(req)) as StoredLease;
      const key = `${namespace}/${body.metadata?.name ?? name}`;
      const existing = leases.get(key);
      if (req.method === 'POST' && existing) {
        sendJson(res, 409, status(409, 'AlreadyExists'));
        return;
      }
      if (req.method === 'PUT' && existing?.metadata.resourceVersion !== body.metadata?.resourceVersion) {
        sendJson(res, 409, status(409, 'Conflict'));
        return;
      }
      version++;
      state.writes++;
      const stored = { ...body, metadata: { ...body.metadata, namespace, resourceVersion: String(version) } };
      leases.set(key, stored as StoredLease);
      sendJson(res, req.method === 'POST' ? 201 : 200, stored);
    })();
    return true;
  };
  return {
    handle,
    state,
    holder: (namespace: string, name: string) =>
      leases.get(`${namespace}/${name}`)?.spec?.holderIdentity as string | undefined,
    lease: (namespace: string, name: string) => leases.get(`${namespace}/${name}`),
  };
}
