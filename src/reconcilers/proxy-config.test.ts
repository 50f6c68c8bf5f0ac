import { describe, expect, it } from 'vitest';
import { examples } from '../api/crds/examples.js';
import { parseProxyConfig } from '../api/proxy-config.js';
import type { ObservedState } from './observed.js';
import {
  desiredProxyConfig,
  meshedNamespaces,
  meshWide,
  proxyConfigDocument,
  renderProxyConfig,
  renderServices,
  selectorLabelKeys,
} from './proxy-config.js';
import { mesh, pod, reorder, service, slice } from './testing/objects.js';

const base: ObservedState = {
  meshConfig: mesh({ trustDomain: 'example.org', mtlsMode: 'STRICT', tracing: { samplingPercent: 5 } }),
  services: [
    service('shop', 'web', '198.19.0.10', [{ name: 'http', port: 80 }]),
    service('db', 'pg', '198.19.0.11', [{ name: 'tcp-pg', port: 5432 }]),
  ],
  endpointSlices: [
    slice('shop', 'web', 'web-a', [{ name: 'http', port: 8080 }], [{ ip: '198.18.0.2', pod: 'web-1' }]),
    slice('db', 'pg', 'pg-a', [{ name: 'tcp-pg', port: 5432 }], [{ ip: '198.18.0.3', pod: 'pg-0' }]),
  ],
  pods: [
    pod('shop', 'web-1', { meshed: true, sa: 'web' }),
    pod('shop', 'done', { meshed: true, phase: 'Succeeded' }),
    pod('db', 'pg-0'),
    pod('batch', 'job', { meshed: true, phase: 'Failed' }),
    pod('api', 'a', { meshed: true }),
  ],
  meshObjects: [],
  proxyConfigMaps: [],
  identityCertificates: [],
};

describe('meshedNamespaces', () => {
  it('lists namespaces with a running meshed pod, sorted', () => {
    expect(meshedNamespaces(base)).toEqual(['api', 'shop']);
  });
});

const all = (state: ObservedState) => meshedNamespaces(state).map((ns) => desiredProxyConfig(state, ns));

describe('desiredProxyConfig', () => {
  it('writes one valid document per meshed namespace, each with every Service', () => {
    const out = all(base);
    expect(out.map((d) => d?.namespace)).toEqual(['api', 'shop']);
    for (const d of out) {
      if (!d?.ok) throw new Error(`not ok: ${JSON.stringify(d)}`);
      const parsed = parseProxyConfig(d.json);
      if (!parsed.ok) throw new Error(parsed.error);
      expect(parsed.config.namespace).toBe(d.namespace);
      expect(parsed.config.trustDomain).toBe('example.org');
      expect(parsed.config.mtlsMode).toBe('STRICT');
      expect(parsed.config.telemetry.tracing.samplingPercent).toBe(5);
      expect(parsed.config.services.map((s) => `${s.namespace}/${s.name}`)).toEqual(['db/pg', 'shop/web']);
    }
  });

  it('carries the compiled mesh CRs: a route for a Service reaches every namespace that may call it', () => {
    const route = {
      apiVersion: 'trellis.dev/v1alpha1',
      kind: 'TrafficRoute' as const,
      metadata: { name: 'web-split', namespace: 'shop', generation: 1 },
      spec: { service: 'web', rules: [{ destinations: [{ service: 'web', weight: 100 }] }] },
    };
    const withRoute = { ...base, meshObjects: [route] };
    for (const ns of ['api', 'shop']) {
      const d = desiredProxyConfig(withRoute, ns);
      if (!d?.ok) throw new Error(`not ok: ${JSON.stringify(d)}`);
      const parsed = parseProxyConfig(d.json);
      if (!parsed.ok) throw new Error(parsed.error);
      expect(parsed.config.policies?.routes.map((r) => `${r.namespace}/${r.service}`)).toEqual(['shop/web']);
    }
    // A CR the compiler refuses is left out of the document.
    const refused = { ...route, spec: { service: 'web', rules: [] } };
    const d = desiredProxyConfig({ ...base, meshObjects: [refused] }, 'shop');
    if (!d?.ok) throw new Error(`not ok: ${JSON.stringify(d)}`);
    const parsed = parseProxyConfig(d.json);
    expect(parsed.ok && parsed.config.policies?.routes).toEqual([]);
  });

  it('is empty when the mesh is not installed or nothing is meshed', () => {
    expect(desiredProxyConfig({ ...base, meshConfig: undefined }, 'shop')).toBeUndefined();
    expect(desiredProxyConfig({ ...base, pods: [pod('shop', 'x')] }, 'shop')).toBeUndefined();
    expect(desiredProxyConfig(base, 'db')).toBeUndefined();
  });

  it('gives the same bytes and hash whatever the input order', () => {
    const a = all(base);
    const b = all({
      ...base,
      services: reorder(base.services),
      endpointSlices: reorder(base.endpointSlices),
      pods: reorder(base.pods),
    });
    expect(b).toEqual(a);
  });

  it('changes the hash when an endpoint changes', () => {
    const moved = {
      ...base,
      endpointSlices: [
        slice(
          'shop',
          'web',
          'web-a',
          [{ name: 'http', port: 8080 }],
          [{ ip: '198.18.0.2', pod: 'web-1', ready: false }],
        ),
      ],
    };
    expect(desiredProxyConfig(moved, 'shop')?.hash).not.toBe(desiredProxyConfig(base, 'shop')?.hash);
  });
});

describe('renderProxyConfig', () => {
  const doc = proxyConfigDocument('shop', mesh(), []);

  it('refuses a document over the limit, naming its size', () => {
    const out = renderProxyConfig(doc, 10);
    expect(out).toMatchObject({ ok: false, reason: 'TooLarge' });
    if (!out.ok) expect(out.message).toMatch(/is \d+ bytes, over the ConfigMap limit of 10/);
  });

  it('refuses a document the proxy schema refuses, with the path of the bad field', () => {
    const bad = {
      ...doc,
      services: [{ name: 'x', namespace: 'y', clusterIps: ['not-an-ip'], ports: [], endpoints: [] }],
    };
    const out = renderProxyConfig(bad);
    expect(out).toMatchObject({ ok: false, reason: 'Invalid' });
    if (!out.ok) expect(out.message).toContain('services.0.clusterIps.0');
  });
});

describe('renderProxyConfig with the services rendered once', () => {
  const route = {
    apiVersion: 'trellis.dev/v1alpha1',
    kind: 'TrafficRoute' as const,
    metadata: { name: 'web-split', namespace: 'shop', generation: 1 },
    spec: { service: 'web', rules: [{ destinations: [{ service: 'web', weight: 100 }] }] },
  };
  const state = { ...base, meshObjects: [route] };
  const shared = meshWide(state, mesh({ trustDomain: 'example.org', tracing: { samplingPercent: 5 } }));
  const docFor = (ns: string, services = shared.services) =>
    proxyConfigDocument(ns, mesh({ tracing: { samplingPercent: 5 } }), services, {
      ...shared.compiled.policies,
    });

  it('writes exactly the bytes and hash of rendering the whole document', () => {
    for (const ns of ['api', 'shop']) {
      const doc = docFor(ns);
      const whole = renderProxyConfig(doc);
      expect(whole.ok).toBe(true);
      expect(renderProxyConfig(doc, undefined, shared.rendered)).toEqual(whole);
    }
  });

  it('finds the same problems: a bad service, and a bad field outside the services', () => {
    const badServices = [{ name: 'x', namespace: 'y', clusterIps: ['not-an-ip'], ports: [], endpoints: [] }];
    const rendered = renderServices(badServices);
    const doc = { ...docFor('shop', badServices), trustDomain: '' };
    const whole = renderProxyConfig(doc);
    const split = renderProxyConfig(doc, undefined, rendered);
    if (whole.ok || split.ok) throw new Error('should be refused');
    expect(split.reason).toBe('Invalid');
    expect(split.hash).toBe(whole.hash);
    expect(split.message.split('; ').sort()).toEqual(whole.message.split('; ').sort());
    expect(split.message).toContain('services.0.clusterIps.0');
    expect(split.message).toContain('trustDomain');
  });

  it('is not used for a document holding another services array', () => {
    const other = renderServices([]);
    expect(renderProxyConfig(docFor('shop'), undefined, other)).toEqual(renderProxyConfig(docFor('shop')));
  });
});

describe('selectorLabelKeys', () => {
  const dp = (spec: unknown, name = 'dp') => ({
    apiVersion: 'trellis.dev/v1alpha1',
    kind: 'DestinationPolicy' as const,
    metadata: { name, namespace: 'shop' },
    spec,
  });

  it('collects the label keys of valid DestinationPolicies’ subsets only', () => {
    const objects = [
      dp(examples.DestinationPolicy),
      dp({ service: 'x', subsets: [{ name: 'a', labels: { track: 'canary' } }] }, 'b'),
      dp({ service: 'x', subsets: [{ name: 'BAD', labels: { ignored: 'x' } }] }, 'c'),
    ];
    expect([...selectorLabelKeys({ meshObjects: objects })].sort()).toEqual(['track', 'version']);
  });

  it('adds the selector keys of valid AuthorizationPolicies and PeerAuthentications', () => {
    const meta = (name: string) => ({ name, namespace: 'shop' });
    const objects = [
      {
        apiVersion: 'trellis.dev/v1alpha1',
        kind: 'AuthorizationPolicy' as const,
        metadata: meta('ap'),
        spec: { action: 'DENY', selector: { matchLabels: { app: 'payments' } } },
      },
      {
        apiVersion: 'trellis.dev/v1alpha1',
        kind: 'PeerAuthentication' as const,
        metadata: meta('pa'),
        spec: { mode: 'STRICT', selector: { matchLabels: { tier: 'db' } } },
      },
      {
        apiVersion: 'trellis.dev/v1alpha1',
        kind: 'PeerAuthentication' as const,
        metadata: meta('bad'),
        spec: { mode: 'NOPE', selector: { matchLabels: { ignored: 'x' } } },
      },
    ];
    expect([...selectorLabelKeys({ meshObjects: objects })].sort()).toEqual(['app', 'tier']);
  });

  it('puts those labels on endpoints', () => {
    const labelled = {
      ...base,
      pods: [pod('shop', 'web-1', { meshed: true, sa: 'web', labels: { version: 'v1', app: 'web' } })],
      meshObjects: [dp(examples.DestinationPolicy)],
    };
    const d = desiredProxyConfig(labelled, 'shop');
    if (!d?.ok) throw new Error('not ok');
    const parsed = parseProxyConfig(d.json);
    if (!parsed.ok) throw new Error(parsed.error);
    const web = parsed.config.services.find((s) => s.name === 'web');
    expect(web?.endpoints[0]?.labels).toEqual({ version: 'v1' });
  });
});
