import { describe, expect, it } from 'vitest';
import { desiredCertificates, injectorDnsNames } from './certificates.js';
import { owner, scopedTarget, spec, target } from './testing/fixtures.js';

const ids = (objs: Array<{ kind: string; metadata: { namespace?: string; name: string } }>) =>
  objs.map((o) => `${o.kind} ${o.metadata.namespace ?? ''}/${o.metadata.name}`);

describe('desiredCertificates', () => {
  it('bootstraps a self-signed root in the cluster resource namespace, the mesh CA ClusterIssuer on its Secret, and the serving certificate', () => {
    const objs = desiredCertificates(spec(), target, owner);
    expect(ids(objs)).toEqual([
      'Issuer cert-manager/trellis-mesh-selfsigned',
      'Certificate cert-manager/trellis-mesh-ca',
      'ClusterIssuer /trellis-mesh-ca',
      'Certificate trellis-system/trellis-injector',
    ]);
    const [issuer, ca, clusterIssuer, serving] = objs;
    expect(issuer?.spec).toEqual({ selfSigned: {} });
    expect(ca?.spec).toMatchObject({
      isCA: true,
      secretName: 'trellis-mesh-ca',
      uris: ['spiffe://cluster.local'],
      duration: '87600h',
      privateKey: { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Never' },
      issuerRef: { name: 'trellis-mesh-selfsigned', kind: 'Issuer', group: 'cert-manager.io' },
    });
    // The ClusterIssuer identity.ts signs workloads with, reading the CA Secret cert-manager wrote.
    expect(clusterIssuer?.spec).toEqual({ ca: { secretName: 'trellis-mesh-ca' } });
    expect(serving?.spec).toMatchObject({
      secretName: 'trellis-injector-tls',
      dnsNames: ['trellis-injector.trellis-system.svc', 'trellis-injector.trellis-system.svc.cluster.local'],
      issuerRef: { name: 'trellis-mesh-ca', kind: 'ClusterIssuer', group: 'cert-manager.io' },
    });
    for (const o of objs) {
      expect(o.metadata.ownerReferences).toEqual([{ ...owner, controller: true }]);
      expect(o.metadata.labels).toMatchObject({ 'trellis.dev/install': 'mesh' });
    }
  });

  it("with the user's issuerRef, signs the mesh CA as an intermediate from it and makes no self-signed Issuer", () => {
    const objs = desiredCertificates(
      spec({ certificates: { root: { issuerRef: { name: 'corp-ca' } } } }),
      target,
      owner,
    );
    expect(ids(objs)).toEqual([
      'Certificate cert-manager/trellis-mesh-ca',
      'ClusterIssuer /trellis-mesh-ca',
      'Certificate trellis-system/trellis-injector',
    ]);
    expect(objs[0]?.spec).toMatchObject({
      duration: '8760h',
      issuerRef: { name: 'corp-ca', kind: 'ClusterIssuer', group: 'cert-manager.io' },
    });
  });

  it('takes the trust domain into the CA and suffixes every shared name of a scoped target', () => {
    const objs = desiredCertificates(spec({ trustDomain: 'prod.example' }), scopedTarget, owner);
    expect(ids(objs)).toEqual([
      'Issuer cert-manager/trellis-mesh-selfsigned-t-1',
      'Certificate cert-manager/trellis-mesh-ca-t-1',
      'ClusterIssuer /trellis-mesh-ca-t-1',
      'Certificate t-1/trellis-injector',
    ]);
    expect(objs[1]?.spec).toMatchObject({
      uris: ['spiffe://prod.example'],
      secretName: 'trellis-mesh-ca-t-1',
    });
    expect(injectorDnsNames(scopedTarget)).toEqual([
      'trellis-injector.t-1.svc',
      'trellis-injector.t-1.svc.cluster.local',
    ]);
  });
});
