import type { V1ServicePort } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { parseOpaquePorts, portProtocol } from './protocol.js';

describe('parseOpaquePorts', () => {
  it.each([
    [undefined, 5432, false],
    ['5432', 5432, true],
    ['5432', 5433, false],
    ['80, 5432 ,9000-9010', 9005, true],
    ['9000-9010', 9011, false],
    ['x,5432,70000,10-5', 5432, true],
    ['x,70000,10-5', 7, false],
  ])('%s contains %d: %s', (value, port, expected) => {
    expect(parseOpaquePorts(value)(port)).toBe(expected);
  });
});

describe('portProtocol', () => {
  const none = () => false;
  it.each<[string, V1ServicePort, ReturnType<typeof portProtocol>]>([
    ['name http', { name: 'http', port: 80 }, 'http'],
    ['name http-web', { name: 'http-web', port: 80 }, 'http'],
    ['name HTTP-Web', { name: 'HTTP-Web', port: 80 }, 'http'],
    ['name http2-x', { name: 'http2-x', port: 80 }, 'http2'],
    ['name grpc-api', { name: 'grpc-api', port: 80 }, 'grpc'],
    ['name grpc-web-ui', { name: 'grpc-web-ui', port: 80 }, 'http'],
    ['name tcp-db', { name: 'tcp-db', port: 80 }, 'tcp'],
    ['name https', { name: 'https', port: 443 }, 'tcp'],
    ['name httpx is not http', { name: 'httpx', port: 80 }, undefined],
    ['no name', { port: 80 }, undefined],
    ['appProtocol wins over name', { name: 'http', port: 80, appProtocol: 'grpc' }, 'grpc'],
    ['appProtocol kubernetes.io/h2c', { port: 80, appProtocol: 'kubernetes.io/h2c' }, 'http2'],
    ['unknown appProtocol falls back to name', { name: 'http', port: 80, appProtocol: 'x.io/y' }, 'http'],
  ])('%s', (_name, port, expected) => {
    expect(portProtocol(port, none)).toBe(expected);
  });

  it('makes opaque ports tcp whatever the name and appProtocol say', () => {
    const opaque = parseOpaquePorts('8080');
    expect(portProtocol({ name: 'http', port: 8080, appProtocol: 'http' }, opaque)).toBe('tcp');
    expect(portProtocol({ name: 'http', port: 8081 }, opaque)).toBe('http');
  });
});
