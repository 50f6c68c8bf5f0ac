import { beforeAll, describe, expect } from 'vitest';
import { examples } from '../../src/api/crds/examples.js';
import { crds } from '../../src/api/crds/index.js';
import { apiVersion, group } from '../../src/api/names.js';
import { applyTrellisCrds } from '../support/crds.js';
import { apiMessage, apiStatus, eventually, kube, rawRequest } from '../support/kube.js';
import { test } from '../support/namespace.js';

const version = 'v1alpha1';
const plural = (kind: string) => crds.find((d) => d.kind === kind)?.plural ?? '';

type Obj = {
  metadata: { name: string; generation?: number };
  spec: Record<string, unknown>;
  status?: unknown;
};

/**
 * The cluster may have started before these CRDs existed (cluster:up applies config/crd/ only at start),
 * so the committed files are applied here, the way cluster:up applies them, and awaited.
 */
beforeAll(() => applyTrellisCrds(kube()));

/** The error an API call failed with; fails the test when it succeeded. */
async function refusal(call: Promise<unknown>): Promise<unknown> {
  const outcome = await call.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (outcome === undefined) throw new Error('the API server accepted an object it should have refused');
  return outcome;
}

/**
 * MeshConfig is a cluster-wide singleton other tests (the operator's) may own, so it is only ever sent as
 * a dry run here: a create, or when `default` already exists, an update of it, which the API server
 * defaults and validates the same way without storing anything.
 */
async function dryRunMeshConfig(k: ReturnType<typeof kube>, spec: unknown, name = 'default'): Promise<Obj> {
  const body = {
    apiVersion,
    kind: 'MeshConfig',
    metadata: { name },
    ...(spec === undefined ? {} : { spec }),
  };
  const params = { group, version, plural: 'meshconfigs' };
  try {
    return (await k.custom.createClusterCustomObject({ ...params, dryRun: 'All', body })) as Obj;
  } catch (err) {
    if (apiStatus(err) !== 409) throw err;
    const existing = (await k.custom.getClusterCustomObject({ ...params, name })) as {
      metadata: { resourceVersion: string };
    };
    const update = { ...body, metadata: { name, resourceVersion: existing.metadata.resourceVersion } };
    return (await k.custom.replaceClusterCustomObject({
      ...params,
      name,
      dryRun: 'All',
      body: update,
    })) as Obj;
  }
}

function create(k: ReturnType<typeof kube>, ns: string, kind: string, spec: unknown, name = 'p') {
  return k.custom.createNamespacedCustomObject({
    group,
    version,
    namespace: ns,
    plural: plural(kind),
    body: { apiVersion, kind, metadata: { name }, spec },
  }) as Promise<Obj>;
}

/** The first create after a CRD changes can race the API server's schema cache; retry until it serves. */
function createWhenServed(k: ReturnType<typeof kube>, ns: string, kind: string, spec: unknown) {
  return eventually(`a ${kind} to be created`, () => create(k, ns, kind, spec));
}

/** Expects the API server to refuse `spec` with HTTP 422 and a message containing `message`. */
async function expectRefused(call: Promise<unknown>, message: string) {
  const err = await refusal(call);
  expect(apiStatus(err), apiMessage(err)).toBe(422);
  expect(apiMessage(err)).toContain(message);
}

describe('the API server and the zod schemas fill the same defaults', () => {
  for (const def of crds) {
    test(`for the ${def.kind} example`, async ({ kube, ns }) => {
      const example = (examples as Record<string, unknown>)[def.kind];
      const stored =
        def.scope === 'Cluster'
          ? await eventually('a MeshConfig dry run', () => dryRunMeshConfig(kube, example))
          : await createWhenServed(kube, ns, def.kind, example);
      expect(stored.spec).toEqual(def.spec.parse(example));
    });
  }
});

describe('MeshConfig', () => {
  test('an object without spec is accepted and the API server fills every default', async ({ kube }) => {
    const stored = await eventually('a MeshConfig dry run', () => dryRunMeshConfig(kube, undefined));
    expect(stored.spec).toMatchObject({
      trustDomain: 'cluster.local',
      mtlsMode: 'PERMISSIVE',
      certificates: { root: { selfSigned: {} }, workload: { duration: '24h', renewBefore: '8h' } },
      proxy: { logLevel: 'info', nativeSidecar: 'auto', holdApplication: true },
      injector: { replicas: 2, failurePolicy: 'Fail' },
      outboundTrafficPolicy: 'ALLOW_ANY',
      tracing: { samplingPercent: 1 },
      accessLog: { enabled: false },
      upgrade: { strategy: 'Manual', pace: '30s', paused: false },
    });
  });

  test('the example is accepted with the fields it leaves out defaulted', async ({ kube }) => {
    const stored = await dryRunMeshConfig(kube, examples.MeshConfig);
    expect(stored.spec).toMatchObject({
      mtlsMode: 'STRICT',
      proxy: { logLevel: 'debug', resources: { requests: { cpu: '50m', memory: '64Mi' } } },
      upgrade: { strategy: 'RollingRestart', workloadTimeout: '10m' },
    });
  });

  test('any name but default is refused', async ({ kube }) => {
    await expectRefused(
      dryRunMeshConfig(kube, {}, 'mesh'),
      'there is one MeshConfig per cluster and it must be named default',
    );
  });

  test('an unknown mTLS mode is refused naming the field and the allowed values', async ({ kube }) => {
    await expectRefused(
      dryRunMeshConfig(kube, { mtlsMode: 'SOMETIMES' }),
      'spec.mtlsMode: Unsupported value: "SOMETIMES": supported values: "STRICT", "PERMISSIVE", "DISABLE"',
    );
  });

  test('an unquoted YAML on (a boolean) for nativeSidecar is refused as the wrong type', async ({ kube }) => {
    await expectRefused(
      dryRunMeshConfig(kube, { proxy: { nativeSidecar: true } }),
      'spec.proxy.nativeSidecar: Invalid value: "boolean": spec.proxy.nativeSidecar in body must be of type string',
    );
  });

  test('both a self-signed root and an issuerRef is refused', async ({ kube }) => {
    await expectRefused(
      dryRunMeshConfig(kube, { certificates: { root: { selfSigned: {}, issuerRef: { name: 'corp-ca' } } } }),
      'spec.certificates.root: Invalid value: set exactly one of selfSigned and issuerRef',
    );
  });

  test('renewBefore not shorter than duration is refused at renewBefore', async ({ kube }) => {
    await expectRefused(
      dryRunMeshConfig(kube, { certificates: { workload: { duration: '2h', renewBefore: '2h' } } }),
      'spec.certificates.workload.renewBefore: Invalid value: renewBefore must be shorter than duration',
    );
  });

  test('a malformed duration is refused by its pattern', async ({ kube }) => {
    await expectRefused(
      dryRunMeshConfig(kube, { upgrade: { pace: '30 seconds' } }),
      'spec.upgrade.pace: Invalid value: "30 seconds": spec.upgrade.pace in body should match',
    );
  });
});

describe('TrafficRoute', () => {
  test('the example is stored with retry and backoff defaults filled', async ({ kube, ns }) => {
    const stored = await createWhenServed(kube, ns, 'TrafficRoute', examples.TrafficRoute);
    const split = (stored.spec.rules as Record<string, unknown>[])[1];
    expect(split?.retries).toEqual({
      attempts: 3,
      perTryTimeout: '1s',
      retryOn: ['5xx', 'reset'],
      retryOnStatusCodes: [503],
      retryOnGrpcCodes: ['cancelled', 'unavailable'],
      backoff: { baseInterval: '25ms', maxInterval: '250ms' },
    });
  });

  test('weights that do not sum to 100 are refused', async ({ kube, ns }) => {
    await expectRefused(
      create(kube, ns, 'TrafficRoute', {
        service: 'reviews',
        rules: [
          {
            destinations: [
              { service: 'reviews', subset: 'v1', weight: 90 },
              { service: 'reviews', subset: 'v2', weight: 20 },
            ],
          },
        ],
      }),
      'spec.rules[0].destinations: Invalid value: weights must sum to 100 (a single destination may omit its weight)',
    );
  });

  test('a perTryTimeout longer than the timeout is refused at perTryTimeout', async ({ kube, ns }) => {
    await expectRefused(
      create(kube, ns, 'TrafficRoute', {
        service: 'reviews',
        rules: [{ destinations: [{ service: 'reviews' }], timeout: '1s', retries: { perTryTimeout: '2s' } }],
      }),
      'spec.rules[0].retries.perTryTimeout: Invalid value: retries.perTryTimeout must not exceed timeout',
    );
  });

  test('a path match with both exact and prefix is refused', async ({ kube, ns }) => {
    await expectRefused(
      create(kube, ns, 'TrafficRoute', {
        service: 'reviews',
        rules: [
          { matches: [{ path: { exact: '/a', prefix: '/b' } }], destinations: [{ service: 'reviews' }] },
        ],
      }),
      'spec.rules[0].matches[0].path: Invalid value: set exactly one of exact, prefix and regex',
    );
  });

  test('a catch-all rule before other rules is refused, since they could never apply', async ({
    kube,
    ns,
  }) => {
    await expectRefused(
      create(kube, ns, 'TrafficRoute', {
        service: 'reviews',
        rules: [
          { destinations: [{ service: 'reviews' }] },
          { matches: [{ method: 'GET' }], destinations: [{ service: 'reviews' }] },
        ],
      }),
      'spec.rules: Invalid value: only the last rule may leave out matches: rules after a catch-all would never apply',
    );
  });

  test('an abort percentage above 100 is refused', async ({ kube, ns }) => {
    await expectRefused(
      create(kube, ns, 'TrafficRoute', {
        service: 'reviews',
        rules: [
          { destinations: [{ service: 'reviews' }], fault: { abort: { httpStatus: 503, percent: 150 } } },
        ],
      }),
      'spec.rules[0].fault.abort.percent: Invalid value: 150: spec.rules[0].fault.abort.percent in body should be less than or equal to 100',
    );
  });

  test('an unknown retry condition is refused', async ({ kube, ns }) => {
    await expectRefused(
      create(kube, ns, 'TrafficRoute', {
        service: 'reviews',
        rules: [{ destinations: [{ service: 'reviews' }], retries: { retryOn: ['sometimes'] } }],
      }),
      'spec.rules[0].retries.retryOn[0]: Unsupported value: "sometimes"',
    );
  });

  test('status is written only through the status subresource, which leaves spec alone', async ({
    kube,
    ns,
  }) => {
    const stored = await createWhenServed(kube, ns, 'TrafficRoute', examples.TrafficRoute);
    const status = {
      observedGeneration: stored.metadata.generation,
      conditions: [
        {
          type: 'Accepted',
          status: 'True',
          reason: 'Accepted',
          message: 'in effect',
          observedGeneration: stored.metadata.generation,
          lastTransitionTime: '2026-01-01T00:00:00Z',
        },
      ],
    };
    const params = { group, version, namespace: ns, plural: 'trafficroutes', name: stored.metadata.name };

    // Through the main resource, status is ignored.
    const viaMain = (await kube.custom.replaceNamespacedCustomObject({
      ...params,
      body: { ...stored, status },
    })) as Obj;
    expect(viaMain.status).toBeUndefined();

    // Through /status, status is stored, a spec change is ignored and the generation does not move.
    const viaStatus = (await kube.custom.replaceNamespacedCustomObjectStatus({
      ...params,
      body: { ...viaMain, spec: { ...viaMain.spec, service: 'ratings' }, status },
    })) as Obj;
    expect(viaStatus.status).toEqual(status);
    expect(viaStatus.spec.service).toBe('reviews');
    expect(viaStatus.metadata.generation).toBe(stored.metadata.generation);
  });

  test('kubectl get shows the service and the Accepted condition', async ({ kube, ns }) => {
    const stored = await createWhenServed(kube, ns, 'TrafficRoute', examples.TrafficRoute);
    const accepted = {
      type: 'Accepted',
      status: 'True',
      reason: 'Accepted',
      message: '',
      lastTransitionTime: '2026-01-01T00:00:00Z',
    };
    await kube.custom.replaceNamespacedCustomObjectStatus({
      group,
      version,
      namespace: ns,
      plural: 'trafficroutes',
      name: stored.metadata.name,
      body: { ...stored, status: { conditions: [accepted] } },
    });
    const table = JSON.parse(
      await rawRequest(kube.kc, 'GET', `/apis/${group}/${version}/namespaces/${ns}/trafficroutes`, {
        accept: 'application/json;as=Table;v=v1;g=meta.k8s.io',
      }),
    ) as { columnDefinitions: { name: string; priority: number }[]; rows: { cells: unknown[] }[] };
    const shown = table.columnDefinitions.filter((c) => c.priority === 0).map((c) => c.name);
    expect(shown).toEqual(['Name', 'Service', 'Accepted', 'Age']);
    expect(table.rows[0]?.cells.slice(0, 3)).toEqual([stored.metadata.name, 'reviews', 'True']);
  });

  test('a status with a bad condition is refused by the status schema', async ({ kube, ns }) => {
    const stored = await createWhenServed(kube, ns, 'TrafficRoute', examples.TrafficRoute);
    const condition = {
      type: 'Accepted',
      status: 'Maybe',
      reason: 'X',
      message: '',
      lastTransitionTime: '2026-01-01T00:00:00Z',
    };
    await expectRefused(
      kube.custom.replaceNamespacedCustomObjectStatus({
        group,
        version,
        namespace: ns,
        plural: 'trafficroutes',
        name: stored.metadata.name,
        body: { ...stored, status: { conditions: [condition] } },
      }),
      'status.conditions[0].status: Unsupported value: "Maybe"',
    );
  });
});

describe('DestinationPolicy', () => {
  test('the example is stored with load-balancer, connection-pool, outlier and budget defaults', async ({
    kube,
    ns,
  }) => {
    const stored = await createWhenServed(kube, ns, 'DestinationPolicy', examples.DestinationPolicy);
    expect(stored.spec).toMatchObject({
      loadBalancer: { algorithm: 'LeastRequest' },
      connectionPool: { maxConnections: 1024, maxPendingRequests: 1024, connectTimeout: '10s' },
      outlierDetection: {
        consecutive5xxErrors: 3,
        interval: '10s',
        baseEjectionTime: '30s',
        maxEjectionPercent: 10,
      },
      retryBudget: { percent: 20, minRetriesPerSecond: 10, window: '10s' },
      rateLimit: { maxTokens: 100, tokensPerFill: 50, fillInterval: '1s', perIdentity: true },
    });
    const v2 = (stored.spec.subsets as { policy?: { connectionPool?: unknown } }[])[1];
    expect(v2?.policy?.connectionPool).toMatchObject({ maxConcurrentRequests: 50, maxConnections: 1024 });
  });

  test('two subsets with one name are refused as a duplicate', async ({ kube, ns }) => {
    await expectRefused(
      create(kube, ns, 'DestinationPolicy', {
        service: 'reviews',
        subsets: [
          { name: 'v1', labels: { version: 'v1' } },
          { name: 'v1', labels: { version: 'v2' } },
        ],
      }),
      'spec.subsets[1]: Duplicate value: {"name":"v1"}',
    );
  });

  test('ConsistentHash without saying what to hash is refused', async ({ kube, ns }) => {
    await expectRefused(
      create(kube, ns, 'DestinationPolicy', {
        service: 'reviews',
        loadBalancer: { algorithm: 'ConsistentHash' },
      }),
      'spec.loadBalancer: Invalid value: consistentHash is required with algorithm ConsistentHash and only allowed with it',
    );
  });

  test('a rate limit filling more than its bucket holds is refused', async ({ kube, ns }) => {
    await expectRefused(
      create(kube, ns, 'DestinationPolicy', {
        service: 'reviews',
        rateLimit: { maxTokens: 5, tokensPerFill: 10 },
      }),
      'spec.rateLimit.tokensPerFill: Invalid value: tokensPerFill must not exceed maxTokens',
    );
  });
});

describe('PeerAuthentication', () => {
  test('the example is stored as sent', async ({ kube, ns }) => {
    const stored = await createWhenServed(kube, ns, 'PeerAuthentication', examples.PeerAuthentication);
    expect(stored.spec).toEqual(examples.PeerAuthentication);
  });

  test('a policy that sets neither mode nor portModes is refused', async ({ kube, ns }) => {
    await expectRefused(
      create(kube, ns, 'PeerAuthentication', { selector: { matchLabels: { app: 'a' } } }),
      'spec: Invalid value: set mode, portModes or both',
    );
  });

  test('port modes without a selector are refused', async ({ kube, ns }) => {
    await expectRefused(
      create(kube, ns, 'PeerAuthentication', {
        mode: 'STRICT',
        portModes: [{ port: 8080, mode: 'DISABLE' }],
      }),
      'spec.portModes: Invalid value: portModes needs a selector: ports belong to workloads, not to a namespace',
    );
  });

  test('a port out of range is refused', async ({ kube, ns }) => {
    await expectRefused(
      create(kube, ns, 'PeerAuthentication', {
        selector: { matchLabels: { app: 'a' } },
        portModes: [{ port: 70000, mode: 'DISABLE' }],
      }),
      'spec.portModes[0].port: Invalid value: 70000: spec.portModes[0].port in body should be less than or equal to 65535',
    );
  });
});

describe('AuthorizationPolicy', () => {
  test('the example is stored, and action defaults to ALLOW', async ({ kube, ns }) => {
    const stored = await createWhenServed(kube, ns, 'AuthorizationPolicy', examples.AuthorizationPolicy);
    expect(stored.spec).toEqual(examples.AuthorizationPolicy);
    const bare = await create(kube, ns, 'AuthorizationPolicy', { rules: [{}] }, 'allow-all');
    expect(bare.spec).toEqual({ action: 'ALLOW', rules: [{}] });
  });

  test('an empty source is refused', async ({ kube, ns }) => {
    await expectRefused(
      create(kube, ns, 'AuthorizationPolicy', { rules: [{ from: [{}] }] }),
      'spec.rules[0].from[0]: Invalid value: set at least one of principals, notPrincipals, namespaces, notNamespaces',
    );
  });

  test('a principal with a wildcard in the middle is refused', async ({ kube, ns }) => {
    await expectRefused(
      create(kube, ns, 'AuthorizationPolicy', {
        rules: [{ from: [{ principals: ['spiffe://*/ns/x/sa/y'] }] }],
      }),
      'spec.rules[0].from[0].principals[0]: Invalid value: "spiffe://*/ns/x/sa/y"',
    );
  });

  test('an unknown action is refused', async ({ kube, ns }) => {
    await expectRefused(
      create(kube, ns, 'AuthorizationPolicy', { action: 'AUDIT' }),
      'spec.action: Unsupported value: "AUDIT": supported values: "ALLOW", "DENY"',
    );
  });
});
