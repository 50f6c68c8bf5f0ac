import type { V1Container } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { PodLike } from './decision.js';
import { type InjectContext, injectPod } from './inject.js';
import { defaultSettings } from './settings.js';

const ctx = (over: Partial<InjectContext> = {}): InjectContext => ({
  namespace: 'shop',
  defaultOptIn: 'namespace-label',
  settings: defaultSettings,
  native: true,
  ...over,
});

const app: V1Container = {
  name: 'app',
  image: 'registry.example/app:1',
  ports: [{ name: 'http', containerPort: 8080 }],
  readinessProbe: { httpGet: { path: '/healthz', port: 'http' } },
};
const pod = (
  over: { annotations?: Record<string, string>; spec?: Partial<PodLike['spec']> } = {},
): PodLike => ({
  metadata: { name: 'web', annotations: over.annotations ?? {}, labels: { app: 'web' } },
  spec: {
    serviceAccountName: 'checkout',
    containers: [app],
    initContainers: [{ name: 'migrate', image: 'registry.example/migrate:1' }],
    volumes: [{ name: 'data', emptyDir: {} }],
    ...over.spec,
  },
});

function injected(p: PodLike, c = ctx()) {
  const r = injectPod(p, c);
  if (r.result !== 'injected') throw new Error(`not injected: ${JSON.stringify(r)}`);
  return r;
}
const names = (cs: V1Container[] | undefined) => (cs ?? []).map((c) => c.name);

describe('injectPod', () => {
  it('native: init, proxy, then the app init containers; app containers unchanged in place', () => {
    const { pod: out } = injected(pod());
    expect(names(out.spec?.initContainers)).toEqual(['trellis-init', 'trellis-proxy', 'migrate']);
    expect(out.spec?.initContainers?.[1]?.restartPolicy).toBe('Always');
    expect(names(out.spec?.containers)).toEqual(['app']);
    expect(out.spec?.volumes?.map((v) => v.name)).toEqual([
      'data',
      'trellis-proxy-config',
      'trellis-identity',
      'trellis-pod-info',
    ]);
    expect(out.spec?.volumes?.[2]?.secret?.secretName).toBe('trellis-identity-checkout');
  });

  it('classic: the proxy first in containers, and the status says so', () => {
    const { pod: out } = injected(pod(), ctx({ native: false }));
    expect(names(out.spec?.initContainers)).toEqual(['trellis-init', 'migrate']);
    expect(names(out.spec?.containers)).toEqual(['trellis-proxy', 'app']);
    expect(out.spec?.containers[0]?.lifecycle?.postStart).toBeDefined();
    expect(JSON.parse(out.metadata?.annotations?.['trellis.dev/status'] ?? '')).toEqual({
      version: '0.1.0',
      native: false,
      initContainers: ['trellis-init'],
      containers: ['trellis-proxy'],
      volumes: ['trellis-proxy-config', 'trellis-identity', 'trellis-pod-info'],
    });
  });

  it('a pod override beats the cluster-wide sidecar mode', () => {
    const { pod: out } = injected(pod({ annotations: { 'trellis.dev/native-sidecar': 'false' } }));
    expect(names(out.spec?.containers)).toEqual(['trellis-proxy', 'app']);
  });

  it('marks the version, the default container, and rewrites the app probe', () => {
    const { pod: out } = injected(pod(), ctx({ settings: { ...defaultSettings, version: '1.4.2' } }));
    expect(out.metadata?.labels).toEqual({ app: 'web', 'trellis.dev/proxy-version': '1.4.2' });
    expect(out.metadata?.annotations).toMatchObject({
      'trellis.dev/proxy-version': '1.4.2',
      'kubectl.kubernetes.io/default-container': 'app',
    });
    expect(out.spec?.containers[0]?.readinessProbe?.httpGet?.port).toBe(15020);
    const env = out.spec?.initContainers?.[1]?.env?.find((e) => e.name === 'TRELLIS_APP_PROBES');
    expect(JSON.parse(env?.value ?? '')).toEqual({
      '/app-health/app/readyz': { httpGet: { port: 8080, path: '/healthz' } },
    });
  });

  it('leaves probes alone when rewriting is off', () => {
    const { pod: out } = injected(pod(), ctx({ settings: { ...defaultSettings, rewriteProbes: false } }));
    expect(out.spec?.containers[0]).toEqual(app);
  });

  it('is idempotent: injecting the result again changes nothing and says why', () => {
    const first = injected(pod());
    expect(injectPod(first.pod, ctx())).toMatchObject({ result: 'skipped', reason: 'already-injected' });
    const classic = injected(pod(), ctx({ native: false }));
    expect(injectPod(classic.pod, ctx())).toMatchObject({ result: 'skipped', reason: 'already-injected' });
  });

  it('does not modify its input', () => {
    const input = pod();
    const before = structuredClone(input);
    injected(input);
    expect(input).toEqual(before);
  });

  describe('prometheus annotations', () => {
    const metricsEnv = (p: PodLike) =>
      p.spec?.initContainers?.[1]?.env?.find((e) => e.name === 'TRELLIS_APP_METRICS')?.value;

    it('point at the proxy when the app has none', () => {
      const { pod: out } = injected(pod());
      expect(out.metadata?.annotations).toMatchObject({
        'prometheus.io/scrape': 'true',
        'prometheus.io/port': '15020',
        'prometheus.io/path': '/metrics',
      });
      expect(metricsEnv(out)).toBeUndefined();
    });

    it("hand the app's own to the proxy to merge", () => {
      const { pod: out } = injected(
        pod({
          annotations: {
            'prometheus.io/scrape': 'true',
            'prometheus.io/port': '9102',
            'prometheus.io/path': '/stats',
            'prometheus.io/scheme': 'https',
          },
        }),
      );
      expect(out.metadata?.annotations?.['prometheus.io/port']).toBe('15020');
      expect(out.metadata?.annotations?.['prometheus.io/scheme']).toBeUndefined();
      expect(JSON.parse(metricsEnv(out) ?? '')).toEqual({ port: 9102, path: '/stats', scheme: 'https' });
    });

    it.each([[{ 'prometheus.io/scrape': 'false' }], [{ 'prometheus.io/scrape': 'true' }]])(
      'stay as they are for %j',
      (annotations) => {
        const { pod: out } = injected(pod({ annotations }));
        expect(out.metadata?.annotations?.['prometheus.io/port']).toBeUndefined();
        expect(metricsEnv(out)).toBeUndefined();
      },
    );
  });

  it('refuses a pod with a bad override, naming it', () => {
    expect(injectPod(pod({ annotations: { 'trellis.dev/proxy-cpu': 'lots' } }), ctx())).toEqual({
      result: 'refused',
      reason: 'invalid-override',
      message: 'trellis.dev/proxy-cpu: "lots" is not a CPU quantity',
    });
  });

  it('refuses a pod whose names clash with ours', () => {
    const p = pod({
      spec: {
        volumes: [{ name: 'trellis-identity', emptyDir: {} }],
        initContainers: [{ name: 'trellis-init' }],
      },
    });
    expect(injectPod(p, ctx())).toEqual({
      result: 'refused',
      reason: 'name-conflict',
      message: 'the pod already has container trellis-init, volume trellis-identity',
    });
  });

  it('passes a skip through with its reason', () => {
    expect(injectPod(pod({ spec: { hostNetwork: true } }), ctx())).toMatchObject({
      result: 'skipped',
      reason: 'host-network',
    });
  });

  it('warns about Jobs that cannot complete without a native sidecar, and UID 1337 apps', () => {
    const p = pod({ spec: { restartPolicy: 'Never', securityContext: { runAsUser: 1337 } } });
    expect(injected(p, ctx({ native: false })).warnings).toEqual([
      "container app runs as UID 1337, the proxy's: its traffic bypasses the mesh",
      'the proxy is not a native sidecar: this run-to-completion pod completes only once the app calls POST http://127.0.0.1:15020/quit',
    ]);
    expect(injected(pod({ spec: { restartPolicy: 'Never' } })).warnings).toEqual([]);
  });

  it('warns about app ports the proxy owns', () => {
    const p = pod({ spec: { containers: [{ ...app, ports: [{ containerPort: 15006 }] }] } });
    expect(injected(p).warnings).toContain('container app port 15006 is reserved for the proxy');
  });

  it('uses the default service account when the pod names none', () => {
    const { pod: out } = injected(pod({ spec: { serviceAccountName: undefined } }));
    expect(out.spec?.volumes?.find((v) => v.name === 'trellis-identity')?.secret?.secretName).toBe(
      'trellis-identity-default',
    );
  });
});
