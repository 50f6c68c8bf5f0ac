import { describe, expect, it } from 'vitest';
import { defaultInstallTarget, installLabels, installNames, installSelector } from './target.js';
import { scopedTarget } from './testing/fixtures.js';

describe('install targets', () => {
  it("name the mesh CA ClusterIssuer as identity.ts signs with, in trellis-system and cert-manager's namespace", () => {
    expect(defaultInstallTarget).toMatchObject({
      namespace: 'trellis-system',
      clusterResourceNamespace: 'cert-manager',
    });
    expect(installNames(defaultInstallTarget)).toEqual({
      injector: 'trellis-injector',
      injectorSettings: 'trellis-injector-settings',
      injectorTls: 'trellis-injector-tls',
      injectorClusterRole: 'trellis-injector',
      webhook: 'trellis-injector',
      selfSignedIssuer: 'trellis-mesh-selfsigned',
      caCertificate: 'trellis-mesh-ca',
      caSecret: 'trellis-mesh-ca',
      clusterIssuer: 'trellis-mesh-ca',
    });
  });

  it('suffix every shared name of a scoped target and label by its instance', () => {
    expect(installNames(scopedTarget)).toMatchObject({
      injector: 'trellis-injector',
      webhook: 'trellis-injector-t-1',
      clusterIssuer: 'trellis-mesh-ca-t-1',
      caSecret: 'trellis-mesh-ca-t-1',
    });
    expect(installSelector(scopedTarget)).toBe('trellis.dev/install=t-1');
    expect(installLabels(scopedTarget, 'mesh-ca')).toEqual({
      'app.kubernetes.io/managed-by': 'trellis-operator',
      'app.kubernetes.io/part-of': 'trellis',
      'app.kubernetes.io/component': 'mesh-ca',
      'trellis.dev/install': 't-1',
    });
  });
});
