import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { defaultInstallTarget } from '../../reconcilers/install/target.js';
import { FakeInstallApi, rawMeshConfig } from '../../reconcilers/install/testing/fake-api.js';
import { scopedTarget } from '../../reconcilers/install/testing/fixtures.js';
import { installController, installResources } from './install.js';
import { observedResources } from './resources.js';
import { fakeContext } from './testing/fake-context.js';

describe('installResources', () => {
  it('watches the MeshConfig and each kind the install makes, by its install label', () => {
    const resources = installResources(scopedTarget);
    expect(resources[0]).toEqual({
      id: 'meshconfigs@t-1.trellis.test/v1alpha1',
      apiVersion: 't-1.trellis.test/v1alpha1',
      plural: 'meshconfigs',
    });
    expect(resources.slice(1).map((r) => `${r.plural}@${r.namespace ?? ''}`)).toEqual([
      'deployments@t-1',
      'services@t-1',
      'serviceaccounts@t-1',
      'configmaps@t-1',
      'poddisruptionbudgets@t-1',
      'certificates@t-1',
      'certificates@cert-manager',
      'issuers@cert-manager',
      'clusterissuers@',
      'mutatingwebhookconfigurations@',
      'clusterroles@',
      'clusterrolebindings@',
    ]);
    expect(new Set(resources.slice(1).map((r) => r.labelSelector))).toEqual(
      new Set(['trellis.dev/install=t-1']),
    );
    expect(new Set(resources.map((r) => r.id)).size).toBe(resources.length);
  });

  it("shares the proxy-config and identity controllers' MeshConfig cache for the operator's own install", () => {
    expect(installResources(defaultInstallTarget)[0]).toEqual({
      id: 'meshconfigs',
      apiVersion: 'trellis.dev/v1alpha1',
      plural: 'meshconfigs',
    });
    expect(installResources(defaultInstallTarget)[0]).toEqual(observedResources().meshConfigs);
  });
});

describe('installController', () => {
  it('maps every change to the one key and reconciles it through the API it is given', async () => {
    const api = new FakeInstallApi(rawMeshConfig());
    const { context } = fakeContext();
    const setup = installController({
      target: scopedTarget,
      api: () => api,
      dataPlane: () => async () => ({ status: {}, requeueAfterMs: 1_000 }),
    }).setup(context);
    expect(setup.reconciler.name).toBe('install');
    for (const w of setup.watches) {
      expect(w.keys('update', { metadata: { name: 'anything', namespace: 'x' } })).toEqual([
        { name: 'default' },
      ]);
    }
    await setup.reconciler.reconcile({ name: 'default' }, new AbortController().signal);
    expect(api.applied).toHaveLength(12);
  });

  it("makes the data-plane step once, with its gauges on the operator's registry", () => {
    const registry = new Registry();
    const controller = installController({ target: scopedTarget, api: () => new FakeInstallApi(undefined) });
    controller.setup({ ...fakeContext().context, registry });
    controller.setup({ ...fakeContext().context, registry });
    expect(registry.getSingleMetric('trellis_injection_drift_pods')).toBeDefined();
    expect(registry.getSingleMetric('trellis_outdated_proxy_pods')).toBeDefined();
  });
});
