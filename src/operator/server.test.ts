import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { OperatorMetrics } from './metrics.js';
import { type OperatorServer, type Readiness, startServer } from './server.js';

let server: OperatorServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function get(path: string, method = 'GET') {
  const res = await fetch(`http://127.0.0.1:${server?.port}${path}`, { method });
  return { status: res.status, body: await res.text(), type: res.headers.get('content-type') };
}

describe('operator server', () => {
  it('serves health, readiness as the callback says, and metrics', async () => {
    let readiness: Readiness = { ready: false, detail: 'leading; caches not synced: configmaps' };
    const metrics = new OperatorMetrics();
    metrics.setLeader(true);
    server = await startServer({
      host: '127.0.0.1',
      port: 0,
      registry: metrics.registry,
      readiness: () => readiness,
    });
    expect(await get('/healthz')).toMatchObject({ status: 200, body: 'ok\n' });
    expect(await get('/readyz')).toMatchObject({
      status: 503,
      body: 'leading; caches not synced: configmaps\n',
    });
    readiness = { ready: true, detail: 'leading; caches synced' };
    expect(await get('/readyz')).toMatchObject({ status: 200, body: 'leading; caches synced\n' });
    const scraped = await get('/metrics');
    expect(scraped.status).toBe(200);
    expect(scraped.type).toContain('text/plain');
    expect(scraped.body).toContain('trellis_operator_leader 1');
    expect((await get('/nope')).status).toBe(404);
    expect((await get('/healthz', 'POST')).status).toBe(405);
  });

  it('answers 500 when collecting metrics fails', async () => {
    const registry = new Registry();
    registry.metrics = () => Promise.reject(new Error('collector broke'));
    server = await startServer({
      host: '127.0.0.1',
      port: 0,
      registry,
      readiness: () => ({ ready: true, detail: '' }),
    });
    expect(await get('/metrics')).toMatchObject({ status: 500, body: 'Error: collector broke\n' });
  });

  it('fails to start on a port already taken', async () => {
    server = await startServer({
      host: '127.0.0.1',
      port: 0,
      registry: new Registry(),
      readiness: () => ({ ready: true, detail: '' }),
    });
    await expect(
      startServer({
        host: '127.0.0.1',
        port: server.port,
        registry: new Registry(),
        readiness: () => ({ ready: true, detail: '' }),
      }),
    ).rejects.toThrow(/EADDRINUSE/);
  });
});
