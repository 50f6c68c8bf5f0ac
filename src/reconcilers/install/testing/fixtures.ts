import { type MeshConfigSpecInput, meshConfigSpec } from '../../../api/crds/index.js';
import type { MeshOwner } from '../object.js';
import { defaultInstallTarget, type InstallTarget } from '../target.js';

export const owner: MeshOwner = {
  apiVersion: 'trellis.dev/v1alpha1',
  kind: 'MeshConfig',
  name: 'default',
  uid: 'uid-mesh',
};

export const target: InstallTarget = defaultInstallTarget;

/** A test's target: its own namespace, suffixed cluster-scoped names, the webhook confined. */
export const scopedTarget: InstallTarget = {
  namespace: 't-1',
  clusterResourceNamespace: 'cert-manager',
  suffix: '-t-1',
  instance: 't-1',
  meshConfig: { apiVersion: 't-1.trellis.test/v1alpha1', plural: 'meshconfigs' },
  namespaceScope: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: ['t-1'] }],
};

export const spec = (input: MeshConfigSpecInput = {}) => meshConfigSpec.parse(input);
