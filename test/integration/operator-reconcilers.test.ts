import { X509Certificate } from 'node:crypto';
import { DiscoveryV1Api } from '@kubernetes/client-node';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { apiVersion, group } from '../../src/api/names.js';
import { parseProxyConfig } from '../../src/api/proxy-config.js';
import { loadConfig } from '../../src/operator/config.js';
import type { Controller } from '../../src/operator/controller.js';
import { identityController } from '../../src/operator/controllers/identity.js';
import { proxyConfigController } from '../../src/operator/controllers/proxy-config.js';
import { startOperator } from '../../src/operator/operator.js';
import { createCaIssuer } from '../fixtures/reconcilers/ca-issuer.js';
import { manualSlice, meshedPod } from '../fixtures/reconcilers/objects.js';
import { applyTrellisCrds } from '../support/crds.js';
import { apiStatus, eventually, type Kube, kube } from '../support/kube.js';
import { test } from '../support/namespace.js';

const logger = pino({ level: process.env.TRELLIS_TEST_LOG ?? 'silent' });
const meshConfigs = { group, version: 'v1alpha1', plural: 'meshconfigs' };
const routes = (namespace: string) => ({ group, version: 'v1alpha1', namespace, plural: 'trafficroutes' });
const certificates = (namespace: string) => ({
  group: 'cert-manager.io',
  version: 'v1',
  namespace,
  plural: 'certificates',
});

/** The MeshConfig is a cluster singleton: made here only when absent, and then removed afterwards. */
let createdMeshConfig = false;
let trustDomain = 'cluster.local';

beforeAll(async () => {
  const k = kube();
  await applyTrellisCrds(k);
  try {
    await k.custom.createClusterCustomObject({
      ...meshConfigs,
      body: { apiVersion, kind: 'MeshConfig', metadata: { name: 'default' }, spec: {} },
    });
    createdMeshConfig = true;
  } catch (err) {
    if (apiStatus(err) !== 409) throw err;
  }
  const mesh = (await k.custom.getClusterCustomObject({ ...meshConfigs, name: 'default' })) as {
    spec: { trustDomain: string };
  };
  trustDomain = mesh.spec.trustDomain;
});

afterAll(async () => {
  if (!createdMeshConfig) return;
  await kube().custom.deleteClusterCustomObject({ ...meshConfigs, name: 'default' });
});

const gone = async (read: () => Promise<unknown>) => {
  try {
    await read();
    return undefined;
  } catch (err) {
    if (apiStatus(err) === 404) return true;
    throw err;
  }
};

async function proxyConfig(k: Kube, namespace: string) {
  const cm = await k.core.readNamespacedConfigMap({ name: 'trellis-proxy-config', namespace });
  const parsed = parseProxyConfig(cm.data?.['config.json'] ?? '');
  if (!parsed.ok) throw new Error(`trellis-proxy-config does not parse: ${parsed.error}`);
  return parsed.config;
}

/** The operator with these controllers, its own Lease in `ns`; resolves once it leads with caches synced. */
async function startScopedOperator(
  k: Kube,
  ns: string,
  podName: string,
  lease: string,
  controllers: Controller[],
) {
  const config = loadConfig({
    POD_NAME: podName,
    POD_NAMESPACE: ns,
    // Its own Lease in its own namespace: no other test's operator competes for it.
    TRELLIS_OPERATOR_LEASE_NAME: lease,
    TRELLIS_OPERATOR_HOST: '127.0.0.1',
    TRELLIS_OPERATOR_PORT: '0',
    TRELLIS_OPERATOR_SHUTDOWN_GRACE_MS: '5000',
  });
  const operator = await startOperator({ kc: k.kc, controllers, config, logger });
  try {
    await eventually('leading with caches synced', async () =>
      operator.readiness().detail === 'leading; caches synced' ? true : undefined,
    );
  } catch (err) {
    await operator.stop();
    throw err;
  }
  return operator;
}

/** The `web` workload: its ServiceAccount, Service (http 80 → 8080) and one meshed pod, web-1. */
async function createWeb(k: Kube, ns: string) {
  await k.core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: 'web' } } });
  await k.core.createNamespacedService({
    namespace: ns,
    body: { metadata: { name: 'web' }, spec: { ports: [{ name: 'http', port: 80, targetPort: 8080 }] } },
  });
  await k.core.createNamespacedPod({ namespace: ns, body: meshedPod('web-1', 'web') });
}

const createRoute = (k: Kube, ns: string, name: string, spec: object) =>
  k.custom.createNamespacedCustomObject({
    ...routes(ns),
    body: { apiVersion, kind: 'TrafficRoute', metadata: { name }, spec },
  });

/** The web service, one rule to itself with a 2s timeout. */
const webRoute = { service: 'web', rules: [{ destinations: [{ service: 'web' }], timeout: '2s' }] };

/** web-route's rules as the proxy config carries them. */
const webRouteRules = async (k: Kube, ns: string) =>
  (await proxyConfig(k, ns)).policies?.routes.find((r) => r.source === `TrafficRoute ${ns}/web-route`)?.rules;

/** The proxy config document as stored, byte for byte. */
const configBytes = async (k: Kube, ns: string) =>
  (await k.core.readNamespacedConfigMap({ name: 'trellis-proxy-config', namespace: ns })).data?.[
    'config.json'
  ];

type Conditions = {
  metadata?: { generation?: number };
  status?: {
    conditions?: Array<{
      type: string;
      status: string;
      reason: string;
      message: string;
      observedGeneration?: number;
    }>;
  };
};

describe('the operator runs the proxy-config and identity reconcilers', () => {
  test('a meshed pod gets its namespace a proxy config and its ServiceAccount an identity; route edits, invalid and conflicting CRs follow; the pod gone, both go', async ({
    kube: k,
    ns,
  }) => {
    const issuerRef = await createCaIssuer(k, ns);
    // Scoped to the test's namespace, so other tests' meshed pods are neither read nor written.
    const operator = await startScopedOperator(k, ns, 'operator-reconcilers-test', `reconcilers-${ns}`, [
      proxyConfigController({ namespace: ns }),
      identityController({ namespace: ns, issuerRef }),
    ]);
    try {
      await createWeb(k, ns);
      await k.kc.makeApiClient(DiscoveryV1Api).createNamespacedEndpointSlice({
        namespace: ns,
        body: manualSlice('web', '198.18.60.1', 'web-1', 8080),
      });

      const first = await eventually('trellis-proxy-config with the web endpoint', async () => {
        const doc = await proxyConfig(k, ns);
        return doc.services.some((s) => s.name === 'web' && s.endpoints.length > 0) ? doc : undefined;
      });
      expect(first.namespace).toBe(ns);
      expect(first.trustDomain).toBe(trustDomain);
      expect(first.services.find((s) => s.name === 'web')?.endpoints).toEqual([
        expect.objectContaining({
          ip: '198.18.60.1',
          pod: 'web-1',
          identity: `spiffe://${trustDomain}/ns/${ns}/sa/web`,
        }),
      ]);

      // A TrafficRoute, then an edit of it, reach the document's policies.
      await createRoute(k, ns, 'web-route', webRoute);
      const timeoutOf = async () => (await webRouteRules(k, ns))?.[0]?.timeoutMs;
      await eventually('the route in the proxy config', async () =>
        (await timeoutOf()) === 2000 ? true : undefined,
      );
      await k.custom.patchNamespacedCustomObject({
        ...routes(ns),
        name: 'web-route',
        body: [{ op: 'replace', path: '/spec/rules/0/timeout', value: '3s' }],
      });
      await eventually('the edited route in the proxy config', async () =>
        (await timeoutOf()) === 3000 ? true : undefined,
      );
      // The last good document: what follows is refused or conflicts, so it must stay byte for byte.
      const lastGood = await configBytes(k, ns);

      // What the API server accepts but the proxy could not run is marked, and left out.
      await createRoute(k, ns, 'lookahead', {
        service: 'web',
        rules: [{ matches: [{ path: { regex: '/a(?=b)' } }], destinations: [{ service: 'web' }] }],
      });
      const accepted = (name: string) =>
        eventually(`${name} Accepted condition`, async () => {
          const o = (await k.custom.getNamespacedCustomObject({ ...routes(ns), name })) as Conditions;
          return o.status?.conditions?.find((c) => c.type === 'Accepted');
        });
      await eventually('lookahead marked InvalidRegex', async () => {
        const c = await accepted('lookahead');
        return c.status === 'False' && c.reason === 'InvalidRegex' ? true : undefined;
      });
      expect(await accepted('web-route')).toMatchObject({ status: 'True', reason: 'Accepted' });

      // A newer route for the same service conflicts: the oldest wins. Its name sorts first, so only
      // the cached creationTimestamps (strings, one-second resolution) can rank it second.
      const created = (name: string) =>
        k.custom
          .getNamespacedCustomObject({ ...routes(ns), name })
          .then((o) =>
            Date.parse((o as { metadata: { creationTimestamp: string } }).metadata.creationTimestamp),
          );
      const webRouteCreated = await created('web-route');
      await eventually('a second past web-route’s creation', async () =>
        Date.now() >= webRouteCreated + 1000 ? true : undefined,
      );
      await createRoute(k, ns, 'aaa-late', {
        service: 'web',
        rules: [{ destinations: [{ service: 'web' }] }],
      });
      expect(await created('aaa-late')).toBeGreaterThan(webRouteCreated);
      await eventually('aaa-late marked Conflicted', async () => {
        const c = await accepted('aaa-late');
        return c.status === 'False' && c.reason === 'Conflicted' ? true : undefined;
      });
      expect(await accepted('web-route')).toMatchObject({ status: 'True', reason: 'Accepted' });
      expect((await proxyConfig(k, ns)).policies?.routes.map((r) => r.source)).toEqual([
        `TrafficRoute ${ns}/web-route`,
      ]);
      expect(await configBytes(k, ns)).toBe(lastGood);

      // The ServiceAccount's identity, issued by cert-manager.
      await eventually('Certificate trellis-identity-web Ready', async () => {
        const c = (await k.custom.getNamespacedCustomObject({
          ...certificates(ns),
          name: 'trellis-identity-web',
        })) as { status?: { conditions?: Array<{ type: string; status: string }> } };
        return c.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True')
          ? true
          : undefined;
      });
      const secret = await k.core.readNamespacedSecret({ name: 'trellis-identity-web', namespace: ns });
      const pem = (f: string) => Buffer.from(secret.data?.[f] ?? '', 'base64').toString('utf8');
      const cert = new X509Certificate(pem('tls.crt'));
      expect(cert.subjectAltName).toBe(`URI:spiffe://${trustDomain}/ns/${ns}/sa/web`);
      expect(cert.verify(new X509Certificate(pem('ca.crt')).publicKey)).toBe(true);

      // The last meshed pod goes: so do the identity (Certificate and Secret) and the proxy config.
      await k.core.deleteNamespacedPod({ name: 'web-1', namespace: ns, gracePeriodSeconds: 0 });
      await eventually('Certificate trellis-identity-web deleted', () =>
        gone(() => k.custom.getNamespacedCustomObject({ ...certificates(ns), name: 'trellis-identity-web' })),
      );
      await eventually('Secret trellis-identity-web deleted', () =>
        gone(() => k.core.readNamespacedSecret({ name: 'trellis-identity-web', namespace: ns })),
      );
      await eventually('trellis-proxy-config deleted', () =>
        gone(() => k.core.readNamespacedConfigMap({ name: 'trellis-proxy-config', namespace: ns })),
      );
    } finally {
      await operator.stop();
    }
  });
  test('a route edited into one the proxy could not run keeps its last accepted version in the config, with a condition that says so; fixed, the new version is in effect', async ({
    kube: k,
    ns,
  }) => {
    const operator = await startScopedOperator(k, ns, 'operator-last-accepted-test', `last-accepted-${ns}`, [
      proxyConfigController({ namespace: ns }),
    ]);
    try {
      await createWeb(k, ns);
      await createRoute(k, ns, 'web-route', webRoute);
      const rulesOf = () => webRouteRules(k, ns);
      await eventually('the route in the proxy config', async () =>
        (await rulesOf())?.[0]?.timeoutMs === 2000 ? true : undefined,
      );
      const read = async () =>
        (await k.custom.getNamespacedCustomObject({ ...routes(ns), name: 'web-route' })) as Conditions;
      const acceptedAt = async (generation: number) => {
        const o = await read();
        const c = o.status?.conditions?.find((x) => x.type === 'Accepted');
        return c?.observedGeneration === generation ? c : undefined;
      };
      const good = (await read()).metadata?.generation ?? 0;
      await eventually('generation 1 Accepted', async () =>
        (await acceptedAt(good))?.status === 'True' ? true : undefined,
      );
      const lastGood = await configBytes(k, ns);

      // The API server takes a look-ahead (its schema knows no RE2); the proxy could not run it.
      await k.custom.patchNamespacedCustomObject({
        ...routes(ns),
        name: 'web-route',
        body: [
          { op: 'replace', path: '/spec/rules/0/timeout', value: '5s' },
          { op: 'add', path: '/spec/rules/0/matches', value: [{ path: { regex: '/a(?=b)' } }] },
        ],
      });
      const bad = (await read()).metadata?.generation ?? 0;
      expect(bad).toBeGreaterThan(good);
      const refusal = await eventually('the edit marked InvalidRegex', async () => acceptedAt(bad));
      expect(refusal).toMatchObject({ status: 'False', reason: 'InvalidRegex' });
      expect(refusal.message).toMatch(
        new RegExp(
          `^generation ${bad} is not in effect: spec\\.rules\\[0\\]\\.matches\\[0\\]\\.path\\.regex: .+; generation ${good} stays in effect$`,
        ),
      );
      expect((await read()).status?.conditions?.find((c) => c.type === 'ResolvedRefs')).toMatchObject({
        status: 'True',
        message: `generation ${good}: every reference resolves`,
      });
      // Status written means the reconcile ran to its end: the ConfigMap is still the last good one.
      expect(await configBytes(k, ns)).toBe(lastGood);
      expect((await rulesOf())?.[0]).toMatchObject({ timeoutMs: 2000, matches: [] });

      // Fixed: the new version takes effect and is Accepted.
      await k.custom.patchNamespacedCustomObject({
        ...routes(ns),
        name: 'web-route',
        body: [
          { op: 'replace', path: '/spec/rules/0/timeout', value: '4s' },
          { op: 'replace', path: '/spec/rules/0/matches', value: [{ path: { prefix: '/a' } }] },
        ],
      });
      const fixed = (await read()).metadata?.generation ?? 0;
      await eventually('the fixed route in the proxy config', async () => {
        const rule = (await rulesOf())?.[0];
        return rule?.timeoutMs === 4000 ? rule : undefined;
      }).then((rule) => expect(rule.matches).toEqual([{ path: { kind: 'prefix', value: '/a' } }]));
      await eventually('the fix Accepted', async () =>
        (await acceptedAt(fixed))?.status === 'True' ? true : undefined,
      );
    } finally {
      await operator.stop();
    }
  });
});
