import { describe, expect, it } from 'vitest';
import { canonicalJson } from './canonical-json.js';
import { desiredServices } from './services.js';
import { pod, reorder, service, slice } from './testing/objects.js';

const web = service('shop', 'web', '198.19.0.10', [
  { name: 'http', port: 80, protocol: 'TCP' },
  { name: 'metrics', port: 9090, protocol: 'TCP' },
  { name: 'dns', port: 53, protocol: 'UDP' },
]);

const keys = new Set(['app', 'version', 'a', 'b']);

describe('desiredServices', () => {
  it('maps a Service and its slices to ClusterIP, ports and endpoints with target ports by name', () => {
    const state = {
      services: [web],
      endpointSlices: [
        slice(
          'shop',
          'web',
          'web-a',
          [
            { name: 'http', port: 8080 },
            { name: 'metrics', port: 9091 },
          ],
          [
            { ip: '198.18.0.10', pod: 'web-1', ready: true },
            { ip: '198.18.0.9', pod: 'web-2', ready: false },
          ],
        ),
      ],
      pods: [
        pod('shop', 'web-1', { meshed: true, sa: 'web', labels: { version: 'v1', app: 'web' } }),
        pod('shop', 'web-2', { labels: { app: 'web' } }),
      ],
    };
    expect(desiredServices(state, 'example.org', keys)).toEqual([
      {
        name: 'web',
        namespace: 'shop',
        clusterIps: ['198.19.0.10'],
        ports: [
          { name: 'http', port: 80, protocol: 'http' },
          { name: 'metrics', port: 9090 },
        ],
        endpoints: [
          {
            ip: '198.18.0.9',
            ports: { http: 8080, metrics: 9091 },
            ready: false,
            pod: 'web-2',
            workload: 'web-2',
            labels: { app: 'web' },
          },
          {
            ip: '198.18.0.10',
            ports: { http: 8080, metrics: 9091 },
            ready: true,
            pod: 'web-1',
            workload: 'web-1',
            labels: { app: 'web', version: 'v1' },
            identity: 'spiffe://example.org/ns/shop/sa/web',
          },
        ],
      },
    ]);
  });

  it.each([
    ['headless Service has no ClusterIP', service('a', 's', 'None', [{ port: 80 }]), []],
    ['IPv6 ClusterIP is dropped', service('a', 's', 'fd00::1', [{ port: 80 }]), []],
  ])('%s', (_name, svc, clusterIps) => {
    expect(
      desiredServices({ services: [svc], endpointSlices: [], pods: [] }, 'td', keys)[0]?.clusterIps,
    ).toEqual(clusterIps);
  });

  it('leaves out ExternalName Services', () => {
    const ext = {
      metadata: { namespace: 'a', name: 'ext' },
      spec: { type: 'ExternalName', externalName: 'x.org' },
    };
    expect(desiredServices({ services: [ext], endpointSlices: [], pods: [] }, 'td', keys)).toEqual([]);
  });

  it('reads the opaque-ports annotation', () => {
    const svc = service('a', 'db', '198.19.0.2', [{ name: 'http', port: 5432 }], {
      'trellis.dev/opaque-ports': '5432',
    });
    expect(desiredServices({ services: [svc], endpointSlices: [], pods: [] }, 'td', keys)[0]?.ports).toEqual([
      { name: 'http', port: 5432, protocol: 'tcp' },
    ]);
  });

  it('merges an address listed by two slices; unknown ready counts as ready; no pod, no identity', () => {
    const state = {
      services: [web],
      endpointSlices: [
        slice('shop', 'web', 'b', [{ name: 'metrics', port: 9091 }], [{ ip: '198.18.0.1', ready: false }]),
        slice('shop', 'web', 'a', [{ name: 'http', port: 8080 }], [{ ip: '198.18.0.1' }]),
        slice('other', 'web', 'c', [{ name: 'http', port: 1 }], [{ ip: '198.18.9.9' }]),
        {
          ...slice('shop', 'web', 'v6', [{ name: 'http', port: 8080 }], [{ ip: 'fd00::2' }]),
          addressType: 'IPv6',
        },
        // As the API server returns a slice without endpoints.
        { ...slice('shop', 'web', 'empty', [], []), endpoints: undefined as unknown as [] },
      ],
      pods: [],
    };
    expect(desiredServices(state, 'td', keys)[0]?.endpoints).toEqual([
      { ip: '198.18.0.1', ports: { http: 8080, metrics: 9091 }, ready: true, labels: {} },
    ]);
  });

  it('gives the same bytes whatever the order of the input', () => {
    const services = [
      web,
      service('a', 'z', '198.19.0.3', [
        { name: 'grpc', port: 81 },
        { name: 'b', port: 80 },
        { name: 'a', port: 80 },
      ]),
      service('a', 'y', '198.19.0.4', [{ port: 1 }]),
    ];
    const endpointSlices = [
      slice(
        'shop',
        'web',
        'w1',
        [{ name: 'http', port: 8080 }],
        [
          { ip: '198.18.0.3', pod: 'p3' },
          { ip: '198.18.0.20', pod: 'p1' },
        ],
      ),
      slice('shop', 'web', 'w2', [{ name: 'http', port: 8080 }], [{ ip: '198.18.0.4', pod: 'p2' }]),
      slice('a', 'z', 'z1', [{ name: 'grpc', port: 9 }], [{ ip: '198.18.1.1' }, { ip: '198.18.1.0' }]),
    ];
    const pods = [
      pod('shop', 'p1', { meshed: true, labels: { b: '1', a: '2' } }),
      pod('shop', 'p2', { meshed: true }),
      pod('shop', 'p3'),
    ];
    const one = canonicalJson(desiredServices({ services, endpointSlices, pods }, 'td', keys));
    const two = canonicalJson(
      desiredServices(
        { services: reorder(services), endpointSlices: reorder(endpointSlices), pods: reorder(pods) },
        'td',
        keys,
      ),
    );
    expect(two).toBe(one);
    // And without canonical key sorting too: the builder itself orders keys and arrays.
    expect(
      JSON.stringify(desiredServices({ services: reorder(services), endpointSlices, pods }, 'td', keys)),
    ).toBe(
      JSON.stringify(
        desiredServices({ services, endpointSlices: reorder(endpointSlices), pods }, 'td', keys),
      ),
    );
  });

  it('ships only the pod labels whose keys some subset selects on', () => {
    const state = {
      services: [web],
      endpointSlices: [
        slice('shop', 'web', 'a', [{ name: 'http', port: 8080 }], [{ ip: '198.18.0.1', pod: 'p' }]),
      ],
      pods: [pod('shop', 'p', { labels: { version: 'v2', 'pod-template-hash': 'abc', app: 'web' } })],
    };
    expect(desiredServices(state, 'td', new Set(['version']))[0]?.endpoints[0]?.labels).toEqual({
      version: 'v2',
    });
    expect(desiredServices(state, 'td', new Set())[0]?.endpoints[0]?.labels).toEqual({});
  });
});
