import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubeWriter } from './writer.js';

interface Seen {
  method: string;
  url: string;
  contentType: string | undefined;
  body: string;
}

/** A loopback stand-in for the API server: answers discovery, records the rest, fails on request. */
let server: Server;
const seen: Seen[] = [];
const answers: Record<string, number> = {};

const read = (req: IncomingMessage) =>
  new Promise<string>((done) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => done(body));
  });

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const body = await read(req);
    const url = req.url ?? '';
    res.setHeader('content-type', 'application/json');
    if (req.method === 'GET' && url === '/api/v1') {
      res.end(
        JSON.stringify({
          kind: 'APIResourceList',
          groupVersion: 'v1',
          resources: [
            { name: 'configmaps', kind: 'ConfigMap', namespaced: true, singularName: '', verbs: [] },
          ],
        }),
      );
      return;
    }
    seen.push({ method: req.method ?? '', url, contentType: req.headers['content-type'], body });
    const code = answers[`${req.method} ${url.split('?')[0]}`] ?? 200;
    res.statusCode = code;
    res.end(
      JSON.stringify(
        code === 200
          ? { kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'x' } }
          : { kind: 'Status', code },
      ),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

function writer() {
  const kc = new KubeConfig();
  const { port } = server.address() as AddressInfo;
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: 'u' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return kubeWriter(kc);
}

describe('kubeWriter', () => {
  it('applies server-side as trellis-operator, forcing', async () => {
    seen.length = 0;
    await writer().apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'shop' } });
    const patch = seen.find((s) => s.method === 'PATCH');
    expect(patch?.contentType).toBe('application/apply-patch+yaml');
    expect(patch?.url).toMatch(/^\/api\/v1\/namespaces\/shop\/configmaps\/x\?/);
    expect(patch?.url).toContain('fieldManager=trellis-operator');
    expect(patch?.url).toContain('force=true');
  });

  it('applies a mesh CR status through the status subresource', async () => {
    seen.length = 0;
    await writer().applyStatus({
      apiVersion: 'trellis.dev/v1alpha1',
      kind: 'TrafficRoute',
      metadata: { name: 'r', namespace: 'shop' },
      status: { observedGeneration: 1, conditions: [] },
    });
    expect(seen[0]?.method).toBe('PATCH');
    expect(seen[0]?.contentType).toBe('application/apply-patch+yaml');
    expect(seen[0]?.url).toMatch(
      /^\/apis\/trellis\.dev\/v1alpha1\/namespaces\/shop\/trafficroutes\/r\/status\?/,
    );
    expect(seen[0]?.url).toContain('fieldManager=trellis-operator');
    expect(JSON.parse(seen[0]?.body ?? '{}')).toMatchObject({ status: { observedGeneration: 1 } });
  });

  it('refuses a status for a kind that is not a Trellis CRD', async () => {
    await expect(
      writer().applyStatus({
        apiVersion: 'trellis.dev/v1alpha1',
        kind: 'Nope' as 'TrafficRoute',
        metadata: { name: 'r', namespace: 'shop' },
        status: {},
      }),
    ).rejects.toThrow(/no CRD for trellis.dev\/v1alpha1 Nope/);
  });

  it('takes a delete of something already gone as done, and passes other errors on', async () => {
    answers['DELETE /api/v1/namespaces/shop/configmaps/gone'] = 404;
    answers['DELETE /api/v1/namespaces/shop/configmaps/locked'] = 403;
    await writer().delete({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'shop', name: 'gone' });
    await expect(
      writer().delete({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'shop', name: 'locked' }),
    ).rejects.toThrow();
  });

  it('takes an event already recorded as done', async () => {
    answers['POST /api/v1/namespaces/shop/events'] = 409;
    await writer().recordEvent({ metadata: { name: 'e', namespace: 'shop' }, involvedObject: {} });
    answers['POST /api/v1/namespaces/shop/events'] = 500;
    await expect(
      writer().recordEvent({ metadata: { name: 'e', namespace: 'shop' }, involvedObject: {} }),
    ).rejects.toThrow();
  });
});
