import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import type { AddressInfo } from 'node:net';
import { connect, type TLSSocket } from 'node:tls';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createMetrics } from './metrics.js';
import { buildServer, type InjectorApp, replaceCertificate, type ServerOptions } from './server.js';
import { defaultSettings } from './settings.js';
import { recordedReview } from './testing/fixtures.js';

const fixture = (f: string) =>
  readFileSync(new URL(`../../test/fixtures/webhook/${f}`, import.meta.url), 'utf8');
const certA = { cert: fixture('tls-a.crt'), key: fixture('tls-a.key') };
const certB = { cert: fixture('tls-b.crt'), key: fixture('tls-b.key') };

let app: InjectorApp | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function serve(over: Partial<ServerOptions> = {}) {
  const state = { settings: defaultSettings, serverVersion: { major: '1', minor: '36' }, ready: true };
  const metrics = createMetrics({ processMetrics: false });
  app = await buildServer({ tls: certA, state, metrics, logger: pino({ level: 'silent' }), ...over });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  return { port, state, metrics };
}

function call(
  port: number,
  method: string,
  path: string,
  body?: string,
): Promise<{ status: number; json: unknown; text: string; alpn: string | false | null }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        ca: certA.cert,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
      },
      (res) => {
        const alpn = (res.socket as TLSSocket).alpnProtocol;
        let text = '';
        res.on('data', (c: Buffer) => {
          text += c.toString();
        });
        res.on('end', () => {
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, json, text, alpn });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const peerName = (port: number, ca: string) =>
  new Promise<string>((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ca, ALPNProtocols: ['h2', 'http/1.1'] }, () => {
      const cn = String(socket.getPeerCertificate().subject.CN);
      resolve(`${cn} ${socket.alpnProtocol || 'no-alpn'}`);
      socket.end();
    });
    socket.on('error', reject);
  });

describe('the injector server', () => {
  it('answers POST /inject over HTTPS with the injection', async () => {
    const { port, metrics } = await serve();
    const res = await call(port, 'POST', '/inject', JSON.stringify(recordedReview('pod-create')));
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      kind: 'AdmissionReview',
      response: { allowed: true, patchType: 'JSONPatch' },
    });
    const text = await metrics.registry.metrics();
    expect(text).toContain('trellis_webhook_injections_total{result="injected",reason="pod-annotation"} 1');
    expect(text).toMatch(/trellis_webhook_admission_duration_seconds_count\{result="injected"\} 1/);
  });

  it('treats /inject/namespace as the labelled-namespace entry', async () => {
    const { port } = await serve();
    const review = recordedReview('pod-create-host-network');
    const plain = await call(port, 'POST', '/inject', JSON.stringify(review));
    const ns = await call(port, 'POST', '/inject/namespace', JSON.stringify(review));
    expect(plain.json).toMatchObject({
      response: { auditAnnotations: { injection: 'skipped/not-opted-in' } },
    });
    expect(ns.json).toMatchObject({ response: { auditAnnotations: { injection: 'skipped/host-network' } } });
  });

  it.each([
    ['invalid JSON', '{"apiVersion":', 400, 'not valid JSON'],
    ['a wrong review', '{"apiVersion":"v1"}', 400, 'invalid AdmissionReview'],
  ])('answers %s with %i and the reason, and counts it', async (_what, body, status, message) => {
    const { port, metrics } = await serve();
    const res = await call(port, 'POST', '/inject', body);
    expect(res.status).toBe(status);
    expect((res.json as { message: string }).message).toContain(message);
    expect(await metrics.registry.metrics()).toContain(
      'trellis_webhook_injections_total{result="refused",reason="malformed"} 1',
    );
  });

  it('answers 500 for a pod it cannot handle, counts it, and keeps serving', async () => {
    const { port, metrics } = await serve();
    const review = recordedReview('pod-create');
    const spec = review.request.object.spec as { containers: { readinessProbe: unknown }[] };
    // Passes the review schema (which checks only what it must) but no API server would send it.
    if (spec.containers[0]) spec.containers[0].readinessProbe = { httpGet: { port: 8080, httpHeaders: 'x' } };
    const res = await call(port, 'POST', '/inject', JSON.stringify(review));
    expect(res.status).toBe(500);
    expect(await metrics.registry.metrics()).toContain(
      'trellis_webhook_injections_total{result="refused",reason="internal-error"} 1',
    );
    expect((await call(port, 'GET', '/healthz')).status).toBe(200);
  });

  it('refuses bodies over the limit with 413', async () => {
    const { port } = await serve({ bodyLimit: 1024 });
    const res = await call(port, 'POST', '/inject', JSON.stringify(recordedReview('pod-create')));
    expect(res.status).toBe(413);
  });

  it('gives up on a request that does not arrive within the timeout', async () => {
    const { port } = await serve({ requestTimeoutMs: 300 });
    const started = Date.now();
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port, ca: certA.cert }, () => {
        socket.write(
          'POST /inject HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{',
        );
      });
      let data = '';
      socket.on('data', (c: Buffer) => {
        data += c.toString();
      });
      socket.on('close', () => resolve(data));
      socket.on('error', reject);
    });
    expect(reply).toMatch(/^HTTP\/1.1 408/);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('speaks HTTP/1.1 only, even to a client that offers h2', async () => {
    const { port } = await serve();
    expect(await peerName(port, certA.cert)).toBe('trellis-injector-test-a http/1.1');
  });

  it('serves /healthz, /readyz (503 once unready) and /metrics', async () => {
    const { port, state } = await serve();
    expect((await call(port, 'GET', '/healthz')).json).toEqual({ status: 'ok' });
    expect((await call(port, 'GET', '/readyz')).status).toBe(200);
    state.ready = false;
    expect((await call(port, 'GET', '/readyz')).status).toBe(503);
    const metrics = await call(port, 'GET', '/metrics');
    expect(metrics.text).toContain('# TYPE trellis_webhook_injections_total counter');
  });

  it('presents a replaced certificate to new connections', async () => {
    const { port } = await serve();
    expect(await peerName(port, certA.cert)).toMatch(/^trellis-injector-test-a/);
    if (!app) throw new Error('no server');
    replaceCertificate(app, certB);
    expect(await peerName(port, certB.cert)).toMatch(/^trellis-injector-test-b/);
  });
});
