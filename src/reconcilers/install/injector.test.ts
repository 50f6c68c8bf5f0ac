import { describe, expect, it } from 'vitest';
import { desiredInjector, injectorSelector } from './injector.js';
import { owner, scopedTarget, spec, target } from './testing/fixtures.js';

type Deployment = {
  spec: {
    replicas: number;
    selector: { matchLabels: Record<string, string> };
    template: {
      metadata: { labels: Record<string, string> };
      spec: {
        serviceAccountName: string;
        topologySpreadConstraints: Array<{ topologyKey: string; whenUnsatisfiable: string }>;
        containers: Array<{
          image: string;
          command: string[];
          env: Array<{ name: string; value: string }>;
          readinessProbe: { httpGet: { path: string; port: string; scheme: string } };
          livenessProbe: { httpGet: { path: string; port: string; scheme: string } };
        }>;
        volumes: unknown[];
      };
    };
  };
};

const build = (input = {}, version = '0.1.0', t = target) =>
  desiredInjector(spec(input), t, owner, version, '{"version":"0.1.0"}');
const byKind = (objs: ReturnType<typeof build>, kind: string) => objs.find((o) => o.kind === kind);

describe('desiredInjector', () => {
  it('makes the ServiceAccount, its RBAC, settings, Service, Deployment and PodDisruptionBudget, all owned and labelled', () => {
    const objs = build();
    expect(objs.map((o) => `${o.kind} ${o.metadata.namespace ?? ''}/${o.metadata.name}`)).toEqual([
      'ServiceAccount trellis-system/trellis-injector',
      'ClusterRole /trellis-injector',
      'ClusterRoleBinding /trellis-injector',
      'ConfigMap trellis-system/trellis-injector-settings',
      'Service trellis-system/trellis-injector',
      'Deployment trellis-system/trellis-injector',
      'PodDisruptionBudget trellis-system/trellis-injector',
    ]);
    for (const o of objs) {
      expect(o.metadata.ownerReferences).toEqual([{ ...owner, controller: true }]);
      expect(o.metadata.labels).toEqual({
        'app.kubernetes.io/managed-by': 'trellis-operator',
        'app.kubernetes.io/part-of': 'trellis',
        'app.kubernetes.io/component': 'injector',
        'trellis.dev/install': 'mesh',
      });
    }
  });

  it('grants the injector GET /version and nothing else, bound to its ServiceAccount', () => {
    const objs = build();
    expect(byKind(objs, 'ClusterRole')?.rules).toEqual([{ nonResourceURLs: ['/version'], verbs: ['get'] }]);
    expect(byKind(objs, 'ClusterRoleBinding')).toMatchObject({
      roleRef: { kind: 'ClusterRole', name: 'trellis-injector' },
      subjects: [{ kind: 'ServiceAccount', name: 'trellis-injector', namespace: 'trellis-system' }],
    });
  });

  it('runs the injector command of the control-plane image for the version, with probes, spread and its files', () => {
    const d = byKind(build({}, '0.3.1'), 'Deployment') as unknown as Deployment;
    expect(d.spec.replicas).toBe(2);
    const pod = d.spec.template.spec;
    const [container] = pod.containers;
    expect(container?.image).toBe('ghcr.io/trellis-mesh/trellis-control-plane:0.3.1');
    expect(container?.command).toEqual(['node', 'dist/webhook/main.js']);
    expect(container?.env).toEqual([
      { name: 'TRELLIS_INJECTOR_SETTINGS', value: '/etc/trellis/injector/settings/settings.json' },
      { name: 'TRELLIS_INJECTOR_CERT_DIR', value: '/etc/trellis/injector/tls' },
      { name: 'TRELLIS_INJECTOR_PORT', value: '9443' },
    ]);
    expect(container?.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'https', scheme: 'HTTPS' });
    expect(container?.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'https', scheme: 'HTTPS' });
    expect(pod.serviceAccountName).toBe('trellis-injector');
    expect(pod.topologySpreadConstraints.map((c) => [c.topologyKey, c.whenUnsatisfiable])).toEqual([
      ['kubernetes.io/hostname', 'ScheduleAnyway'],
      ['topology.kubernetes.io/zone', 'ScheduleAnyway'],
    ]);
    expect(pod.volumes).toEqual([
      { name: 'settings', configMap: { name: 'trellis-injector-settings' } },
      { name: 'tls', secret: { secretName: 'trellis-injector-tls' } },
    ]);
    // Its own pods are never sent to the webhook they serve.
    expect(d.spec.template.metadata.labels['trellis.dev/inject']).toBe('false');
    expect(d.spec.template.metadata.labels).toMatchObject(d.spec.selector.matchLabels);
  });

  it.each([1, 2, 5])(
    'takes spec.injector.replicas (%i); the PodDisruptionBudget never blocks a drain',
    (replicas) => {
      const objs = build({ injector: { replicas } });
      expect((byKind(objs, 'Deployment') as unknown as Deployment).spec.replicas).toBe(replicas);
      expect(byKind(objs, 'PodDisruptionBudget')?.spec).toEqual({
        maxUnavailable: 1,
        selector: { matchLabels: injectorSelector(target) },
      });
    },
  );

  it('carries the settings document as given, under settings.json', () => {
    expect(byKind(build(), 'ConfigMap')?.data).toEqual({ 'settings.json': '{"version":"0.1.0"}' });
  });

  it("selects a scoped target's pods by its instance, so two installs never share pods", () => {
    expect(injectorSelector(scopedTarget)).toEqual({
      'app.kubernetes.io/name': 'trellis-injector',
      'trellis.dev/install': 't-1',
    });
    expect(byKind(build({}, '0.1.0', scopedTarget), 'ClusterRole')?.metadata.name).toBe(
      'trellis-injector-t-1',
    );
  });
});
