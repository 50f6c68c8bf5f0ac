import { describe, expect, it } from 'vitest';
import { envName, serviceLinkEnv } from './service-links.js';

describe('serviceLinkEnv', () => {
  it('gives host, first port, named ports and the Docker-link variables of each Service', () => {
    const env = serviceLinkEnv([
      {
        metadata: { name: 'orders-api' },
        spec: {
          clusterIP: '198.19.0.7',
          ports: [
            { name: 'http', port: 80 },
            { name: 'grpc-web', port: 9090, protocol: 'TCP' },
          ],
        },
      },
    ]);
    expect(env).toEqual({
      ORDERS_API_SERVICE_HOST: '198.19.0.7',
      ORDERS_API_SERVICE_PORT: '80',
      ORDERS_API_SERVICE_PORT_HTTP: '80',
      ORDERS_API_SERVICE_PORT_GRPC_WEB: '9090',
      ORDERS_API_PORT: 'tcp://198.19.0.7:80',
      ORDERS_API_PORT_80_TCP: 'tcp://198.19.0.7:80',
      ORDERS_API_PORT_80_TCP_PROTO: 'tcp',
      ORDERS_API_PORT_80_TCP_PORT: '80',
      ORDERS_API_PORT_80_TCP_ADDR: '198.19.0.7',
      ORDERS_API_PORT_9090_TCP: 'tcp://198.19.0.7:9090',
      ORDERS_API_PORT_9090_TCP_PROTO: 'tcp',
      ORDERS_API_PORT_9090_TCP_PORT: '9090',
      ORDERS_API_PORT_9090_TCP_ADDR: '198.19.0.7',
    });
  });

  it('skips headless Services, Services without a ClusterIP yet and Services without ports', () => {
    expect(
      serviceLinkEnv([
        { metadata: { name: 'headless' }, spec: { clusterIP: 'None', ports: [{ port: 80 }] } },
        { metadata: { name: 'pending' }, spec: { ports: [{ port: 80 }] } },
        { metadata: { name: 'portless' }, spec: { clusterIP: '198.19.0.8' } },
      ]),
    ).toEqual({});
  });

  it('names variables as the kubelet does', () => {
    expect(envName('tcp-echo')).toBe('TCP_ECHO');
  });
});
