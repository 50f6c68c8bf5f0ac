import { describe, expect, it } from 'vitest';
import { parsePinnedVersions, pinnedVersions } from './versions.js';

describe('parsePinnedVersions', () => {
  it('reads each pinned module from a require block', () => {
    const goMod = [
      'module x',
      'require (',
      '\tgithub.com/cert-manager/cert-manager v1.21.2',
      '\tgo.etcd.io/etcd/server/v3 v3.6.8',
      '\tk8s.io/kubernetes v1.36.3',
      ')',
    ].join('\n');
    expect(parsePinnedVersions(goMod)).toEqual({
      kubernetes: 'v1.36.3',
      etcd: 'v3.6.8',
      certManager: 'v1.21.2',
    });
  });

  it('does not mistake a staging module for k8s.io/kubernetes', () => {
    const goMod = 'require k8s.io/kubernetes-extra v9.9.9\nrequire k8s.io/kubernetes v1.2.3\n';
    expect(() => parsePinnedVersions(goMod)).toThrow(/etcd/);
  });

  it('names the module that is missing', () => {
    expect(() => parsePinnedVersions('module x\n')).toThrow('go.mod does not require k8s.io/kubernetes');
  });

  it('matches the committed wrapper module', () => {
    const v = pinnedVersions();
    expect(v.kubernetes).toMatch(/^v1\.(3[4-9]|[4-9]\d)\./);
    expect(v.certManager).toMatch(/^v1\.(19|2\d)\./);
    expect(v.etcd).toMatch(/^v3\.[56]\./);
  });
});
