import { describe, expect, it } from 'vitest';
import { InstallReconciler } from './reconciler.js';
import { FakeInstallApi, rawMeshConfig } from './testing/fake-api.js';
import { target } from './testing/fixtures.js';
import { uninstallFinalizer, uninstallOrder } from './uninstall.js';

const key = { name: 'default' };
const signal = () => new AbortController().signal;
const now = () => new Date('2026-01-01T00:00:00Z');
const conditions = (api: FakeInstallApi) =>
  api.statuses.at(-1)?.conditions?.map((c) => `${c.type}=${c.status}/${c.reason}`);

/** Plays cert-manager, cainjector and the Deployment controller: everything installed becomes ready. */
function settle(api: FakeInstallApi) {
  for (const [id, obj] of api.objects) {
    const o = obj as {
      status?: unknown;
      spec?: { replicas?: number };
      webhooks?: Array<{ clientConfig: object }>;
      metadata?: { generation?: number };
    };
    if (id.startsWith('Certificate ')) o.status = { conditions: [{ type: 'Ready', status: 'True' }] };
    if (id.startsWith('MutatingWebhookConfiguration ')) {
      for (const w of o.webhooks ?? []) w.clientConfig = { ...w.clientConfig, caBundle: 'Y2E=' };
    }
    if (id.startsWith('Deployment ')) {
      const n = o.spec?.replicas ?? 1;
      o.metadata = { ...o.metadata, generation: 1 };
      o.status = {
        observedGeneration: 1,
        replicas: n,
        updatedReplicas: n,
        availableReplicas: n,
        conditions: [{ type: 'Available', status: 'True' }],
      };
    }
  }
}

describe('InstallReconciler', () => {
  it('adds its finalizer, applies everything and reports Installing until the pieces are ready, then Ready', async () => {
    const api = new FakeInstallApi(rawMeshConfig({ version: '0.1.0' }));
    const reconciler = new InstallReconciler(api, target, { now });
    expect(await reconciler.reconcile(key, signal())).toBeUndefined();
    expect(api.finalizerWrites).toEqual([[uninstallFinalizer]]);
    expect(api.applied).toHaveLength(12);
    expect(api.applied.at(-1)).toBe('MutatingWebhookConfiguration /trellis-injector');
    expect(conditions(api)).toEqual([
      'Ready=False/CertificateAuthorityNotReady',
      'Progressing=True/Installing',
      'Degraded=False/AsExpected',
    ]);

    settle(api);
    await reconciler.reconcile(key, signal());
    expect(api.statuses.at(-1)?.installedVersion).toBe('0.1.0');
    expect(conditions(api)).toEqual([
      'Ready=True/Installed',
      'Progressing=False/UpToDate',
      'Degraded=False/AsExpected',
    ]);
    // The finalizer is there now: not written again; nor is an unchanged status.
    const writes = api.statuses.length;
    await reconciler.reconcile(key, signal());
    expect(api.finalizerWrites).toHaveLength(1);
    expect(api.statuses).toHaveLength(writes);
  });

  it('reports a field conflict as Degraded, applies the rest, and looks again later', async () => {
    const api = new FakeInstallApi(rawMeshConfig());
    api.conflicts.add('Deployment trellis-system/trellis-injector');
    const result = await new InstallReconciler(api, target, { now, conflictRecheckMs: 5_000 }).reconcile(
      key,
      signal(),
    );
    expect(result).toEqual({ requeueAfterMs: 5_000 });
    expect(api.applied).toHaveLength(11);
    const degraded = api.statuses.at(-1)?.conditions?.find((c) => c.type === 'Degraded');
    expect(degraded).toMatchObject({
      status: 'True',
      reason: 'FieldConflict',
      message:
        'another field manager owns fields the operator sets; resolve it there: Deployment trellis-system/trellis-injector: Apply failed with 1 conflict: conflict with "argocd-controller": .spec.replicas',
    });
  });

  it('writes Degraded ApplyFailed and throws for the queue to retry when a write fails otherwise', async () => {
    const api = new FakeInstallApi(rawMeshConfig());
    api.failures.add('ClusterRole /trellis-injector');
    await expect(new InstallReconciler(api, target, { now }).reconcile(key, signal())).rejects.toThrow(
      'install incomplete: ClusterRole trellis-injector: forbidden',
    );
    expect(api.statuses.at(-1)?.conditions?.find((c) => c.type === 'Degraded')).toMatchObject({
      status: 'True',
      reason: 'ApplyFailed',
      message: 'ClusterRole trellis-injector: forbidden',
    });
  });

  it.each([
    [
      { version: '0.3.0+meta' },
      'spec.version 0.3.0+meta cannot be an image tag (letters, digits, _ . - only)',
    ],
    [
      { injector: { replicas: 'two' } },
      'spec.injector.replicas: Invalid input: expected number, received string',
    ],
  ])('marks %j InvalidSpec and applies nothing', async (spec, message) => {
    const api = new FakeInstallApi(rawMeshConfig(spec, 4));
    await new InstallReconciler(api, target, { now }).reconcile(key, signal());
    expect(api.applied).toEqual([]);
    expect(api.statuses.at(-1)?.conditions?.find((c) => c.type === 'Degraded')).toMatchObject({
      status: 'True',
      reason: 'InvalidSpec',
      message,
      observedGeneration: 4,
    });
  });

  it('upgrades: a new version re-renders the injector and is installed once it has rolled out', async () => {
    const api = new FakeInstallApi(rawMeshConfig({ version: '0.1.0' }));
    const reconciler = new InstallReconciler(api, target, { now });
    await reconciler.reconcile(key, signal());
    settle(api);
    await reconciler.reconcile(key, signal());
    if (api.mesh) api.mesh.spec = { version: '0.2.0' };
    await reconciler.reconcile(key, signal());
    expect(JSON.stringify(api.objects.get('Deployment trellis-system/trellis-injector'))).toContain(
      'trellis-control-plane:0.2.0',
    );
    expect(api.statuses.at(-1)?.installedVersion).toBe('0.1.0');
    expect(conditions(api)).toContain('Progressing=True/Upgrading');
    settle(api);
    await reconciler.reconcile(key, signal());
    expect(api.statuses.at(-1)?.installedVersion).toBe('0.2.0');
  });

  it('runs the data-plane step once a version is installed and merges what it reports into the one status', async () => {
    const api = new FakeInstallApi(
      rawMeshConfig({ version: '0.1.0', upgrade: { strategy: 'RollingRestart' } }),
    );
    const seen: string[] = [];
    const reconciler = new InstallReconciler(api, target, {
      now,
      dataPlane: async (mesh, installedVersion) => {
        seen.push(`${mesh.spec.upgrade.strategy} ${installedVersion}`);
        return {
          status: { injectionDrift: { count: 2 }, rollout: { total: 3, restarted: 1 } },
          verdict: { type: 'Progressing', reason: 'RollingRestart', message: 'restarting shop/web' },
          requeueAfterMs: 30_000,
        };
      },
    });
    await reconciler.reconcile(key, signal());
    expect(seen).toEqual([]);
    settle(api);
    expect(await reconciler.reconcile(key, signal())).toEqual({ requeueAfterMs: 30_000 });
    expect(seen).toEqual(['RollingRestart 0.1.0']);
    expect(api.statuses.at(-1)).toMatchObject({
      installedVersion: '0.1.0',
      injectionDrift: { count: 2 },
      rollout: { total: 3, restarted: 1 },
    });
    expect(conditions(api)).toEqual([
      'Ready=True/Installed',
      'Progressing=True/RollingRestart',
      'Degraded=False/AsExpected',
    ]);
  });

  it('reports a failing data-plane step as Degraded, keeps its last fields, and throws for a retry', async () => {
    const api = new FakeInstallApi(rawMeshConfig({ version: '0.1.0' }));
    let fail = false;
    const reconciler = new InstallReconciler(api, target, {
      now,
      dataPlane: async () => {
        if (fail) throw new Error('pods is forbidden');
        return { status: { outdatedPods: { count: 4 } }, requeueAfterMs: 60_000 };
      },
    });
    await reconciler.reconcile(key, signal());
    settle(api);
    await reconciler.reconcile(key, signal());
    fail = true;
    await expect(reconciler.reconcile(key, signal())).rejects.toThrow('pods is forbidden');
    expect(api.statuses.at(-1)?.outdatedPods).toEqual({ count: 4 });
    expect(api.statuses.at(-1)?.conditions?.find((c) => c.type === 'Degraded')).toMatchObject({
      status: 'True',
      reason: 'DataPlaneFailed',
      message: 'pods is forbidden',
    });
  });

  it("deletes the bootstrap Issuer once the root moves to the user's issuerRef, and nothing else", async () => {
    const api = new FakeInstallApi(rawMeshConfig());
    const reconciler = new InstallReconciler(api, target, { now });
    await reconciler.reconcile(key, signal());
    expect(api.objects.has('Issuer cert-manager/trellis-mesh-selfsigned')).toBe(true);
    expect(api.deleted).toEqual([]);
    if (api.mesh) api.mesh.spec = { certificates: { root: { issuerRef: { name: 'corp-ca' } } } };
    await reconciler.reconcile(key, signal());
    expect(api.deleted).toEqual(['Issuer cert-manager/trellis-mesh-selfsigned']);
    expect(api.objects.has('Issuer cert-manager/trellis-mesh-selfsigned')).toBe(false);
  });

  it('uninstalls a deleted MeshConfig: the webhook first, then the rest, then releases the finalizer', async () => {
    const api = new FakeInstallApi(rawMeshConfig());
    const reconciler = new InstallReconciler(api, target, { now });
    await reconciler.reconcile(key, signal());
    if (api.mesh) api.mesh.metadata.deletionTimestamp = new Date();
    await reconciler.reconcile(key, signal());
    expect(api.deleted).toEqual(
      uninstallOrder(target).map((r) => `${r.kind} ${r.namespace ?? ''}/${r.name}`),
    );
    expect(api.deleted[0]).toBe('MutatingWebhookConfiguration /trellis-injector');
    expect(api.finalizerWrites.at(-1)).toEqual([]);
    expect(api.objects.size).toBe(0);
  });

  it('touches nothing else while the webhook configuration survives its deletion', async () => {
    const api = new FakeInstallApi(rawMeshConfig());
    const reconciler = new InstallReconciler(api, target, { now });
    await reconciler.reconcile(key, signal());
    api.stuck.add('MutatingWebhookConfiguration /trellis-injector');
    if (api.mesh) api.mesh.metadata.deletionTimestamp = new Date();
    await expect(reconciler.reconcile(key, signal())).rejects.toThrow(
      'MutatingWebhookConfiguration trellis-injector is still there; nothing else is removed before it',
    );
    expect(api.deleted).toEqual(['MutatingWebhookConfiguration /trellis-injector']);
    expect(api.finalizerWrites.at(-1)).toEqual([uninstallFinalizer]);
  });

  it('leaves a deleted MeshConfig without its finalizer, a missing one and any other key alone', async () => {
    const deleting = rawMeshConfig();
    deleting.metadata.deletionTimestamp = new Date();
    for (const api of [new FakeInstallApi(deleting), new FakeInstallApi(undefined)]) {
      await new InstallReconciler(api, target).reconcile(key, signal());
      expect([api.applied, api.deleted, api.finalizerWrites]).toEqual([[], [], []]);
    }
    const api = new FakeInstallApi(rawMeshConfig());
    await new InstallReconciler(api, target).reconcile({ name: 'other' }, signal());
    await new InstallReconciler(api, target).reconcile({ namespace: 'x', name: 'default' }, signal());
    expect(api.applied).toEqual([]);
  });
});
