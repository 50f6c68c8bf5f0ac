import type { V1Container } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { probeTarget, probeTiming, resolvePort } from './probe-spec.js';

const container: V1Container = { name: 'app', ports: [{ name: 'http', containerPort: 8080 }] };
const ip = '198.18.0.9';

describe('probe specs', () => {
  it("applies the API's defaults", () => {
    expect(probeTiming({})).toEqual({
      initialDelayMs: 0,
      periodMs: 10_000,
      timeoutMs: 1_000,
      successThreshold: 1,
      failureThreshold: 3,
    });
    expect(probeTiming({ periodSeconds: 2, failureThreshold: 1, initialDelaySeconds: 5 })).toMatchObject({
      periodMs: 2_000,
      failureThreshold: 1,
      initialDelayMs: 5_000,
    });
  });

  it('resolves numbers, numeric strings and named ports', () => {
    expect(resolvePort(9, container)).toBe(9);
    expect(resolvePort('15021', container)).toBe(15021);
    expect(resolvePort('http', container)).toBe(8080);
    expect(() => resolvePort('admin', container)).toThrow(/no port named admin/);
  });

  it('probes from the node against the pod IP', () => {
    expect(
      probeTarget(
        { httpGet: { path: 'ready', port: 'http', httpHeaders: [{ name: 'X-A', value: '1' }] } },
        container,
        ip,
      ),
    ).toEqual({ kind: 'http', url: 'http://198.18.0.9:8080/ready', headers: { 'X-A': '1' } });
    expect(
      probeTarget({ httpGet: { port: 8443, scheme: 'HTTPS', host: '127.0.0.1' } }, container, ip),
    ).toMatchObject({
      url: 'https://127.0.0.1:8443/',
    });
    expect(probeTarget({ tcpSocket: { port: 'http' } }, container, ip)).toEqual({
      kind: 'tcp',
      host: ip,
      port: 8080,
    });
    expect(probeTarget({ grpc: { port: 9000, service: 'x' } }, container, ip)).toEqual({
      kind: 'grpc',
      host: ip,
      port: 9000,
      service: 'x',
    });
    expect(probeTarget({ exec: { command: ['true'] } }, container, ip)).toEqual({
      kind: 'exec',
      command: ['true'],
    });
    expect(() => probeTarget({}, container, ip)).toThrow(/needs httpGet/);
  });
});
