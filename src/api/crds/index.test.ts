import { describe, expect, it } from 'vitest';
import { crds } from './index.js';

/**
 * Short names of the built-in and cert-manager resources a Trellis cluster has (kubectl api-resources on
 * Kubernetes 1.36 with cert-manager 1.21); ours must not shadow them.
 */
const taken = [
  'cs',
  'cm',
  'ep',
  'ev',
  'limits',
  'ns',
  'no',
  'pvc',
  'pv',
  'po',
  'rc',
  'quota',
  'sa',
  'svc',
  'crd',
  'crds',
  'ds',
  'deploy',
  'rs',
  'sts',
  'hpa',
  'cj',
  'csr',
  'ing',
  'netpol',
  'pdb',
  'pc',
  'sc',
  'ip',
  'vac',
  'cr',
  'crs',
  'cert',
  'certs',
  'ciss',
  'iss',
];

describe('crds', () => {
  it('has the five kinds of the design', () => {
    expect(crds.map((d) => d.kind)).toEqual([
      'MeshConfig',
      'TrafficRoute',
      'DestinationPolicy',
      'PeerAuthentication',
      'AuthorizationPolicy',
    ]);
  });

  it('uses short names that are unique and clash with no built-in resource', () => {
    const ours = crds.flatMap((d) => d.shortNames);
    expect(ours).toEqual(['mc', 'tr', 'dp', 'pa', 'ap']);
    expect(new Set(ours).size).toBe(ours.length);
    expect(ours.filter((s) => taken.includes(s))).toEqual([]);
  });

  it('makes MeshConfig cluster-scoped and the policies namespaced', () => {
    expect(crds.map((d) => d.scope)).toEqual([
      'Cluster',
      'Namespaced',
      'Namespaced',
      'Namespaced',
      'Namespaced',
    ]);
  });
});
