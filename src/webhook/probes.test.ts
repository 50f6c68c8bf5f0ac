import type { V1Container } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { appProbes } from '../api/probe-rewrite.js';
import { rewriteProbes } from './probes.js';

const admin = (path: string) => ({ httpGet: { path, port: 15020, scheme: 'HTTP' } });

describe('probe rewriting', () => {
  const app: V1Container = {
    name: 'app',
    ports: [
      { name: 'http', containerPort: 8080 },
      { name: 'grpc', containerPort: 9090 },
    ],
    readinessProbe: {
      httpGet: {
        path: '/healthz',
        port: 'http',
        scheme: 'HTTPS',
        httpHeaders: [{ name: 'X-Probe', value: '1' }],
      },
      periodSeconds: 5,
      timeoutSeconds: 2,
    },
    livenessProbe: { tcpSocket: { port: 8080 }, initialDelaySeconds: 3, failureThreshold: 4 },
    startupProbe: { grpc: { port: 9090, service: 'app.v1' }, failureThreshold: 30 },
  };

  it('points HTTP, TCP and gRPC probes at the admin port, keeping their timing', () => {
    const r = rewriteProbes(app);
    expect(r.container.readinessProbe).toEqual({
      ...admin('/app-health/app/readyz'),
      periodSeconds: 5,
      timeoutSeconds: 2,
    });
    expect(r.container.livenessProbe).toEqual({
      ...admin('/app-health/app/livez'),
      initialDelaySeconds: 3,
      failureThreshold: 4,
    });
    expect(r.container.startupProbe).toEqual({ ...admin('/app-health/app/startupz'), failureThreshold: 30 });
    expect(r.kept).toEqual([]);
  });

  it('hands the proxy the originals with named ports resolved, in the shape it parses', () => {
    const { originals } = rewriteProbes(app);
    expect(appProbes.parse(originals)).toEqual({
      '/app-health/app/readyz': {
        httpGet: {
          port: 8080,
          path: '/healthz',
          scheme: 'HTTPS',
          httpHeaders: [{ name: 'X-Probe', value: '1' }],
        },
        timeoutSeconds: 2,
      },
      '/app-health/app/livez': { tcpSocket: { port: 8080 }, timeoutSeconds: 1 },
      '/app-health/app/startupz': { grpc: { port: 9090, service: 'app.v1' }, timeoutSeconds: 1 },
    });
  });

  it('leaves exec probes alone', () => {
    const c: V1Container = { name: 'db', livenessProbe: { exec: { command: ['pg_isready'] } } };
    expect(rewriteProbes(c)).toEqual({ container: c, originals: {}, kept: [] });
  });

  it('keeps a probe whose named port the container does not declare, and says so', () => {
    const c: V1Container = { name: 'web', readinessProbe: { httpGet: { path: '/', port: 'web' } } };
    const r = rewriteProbes(c);
    expect(r.container).toEqual(c);
    expect(r.kept).toEqual(['web readiness probe kept: port "web" is not declared by the container']);
  });

  it('keeps a probe of the admin port, which would otherwise probe the proxy itself', () => {
    const c: V1Container = { name: 'web', livenessProbe: { tcpSocket: { port: 15020 } } };
    expect(rewriteProbes(c).kept).toEqual([
      "web liveness probe kept: it targets the proxy's admin port 15020",
    ]);
  });

  it('does not modify its input', () => {
    const before = structuredClone(app);
    rewriteProbes(app);
    expect(app).toEqual(before);
  });
});
