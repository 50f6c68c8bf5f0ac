import { describe, expect, it } from 'vitest';
import { peerAuthenticationCrd, peerAuthenticationSpec } from './peer-authentication.js';
import { toStructural } from './structural.js';

describe('PeerAuthentication spec', () => {
  it('takes a mode per workload and per port', () => {
    const spec = {
      selector: { matchLabels: { app: 'db' } },
      mode: 'STRICT',
      portModes: [{ port: 9090, mode: 'DISABLE' }],
    };
    expect(peerAuthenticationSpec.parse(spec)).toEqual(spec);
  });

  it('refuses an unknown mode and a port out of range', () => {
    expect(peerAuthenticationSpec.safeParse({ mode: 'OPTIONAL' }).success).toBe(false);
    expect(peerAuthenticationSpec.safeParse({ portModes: [{ port: 0, mode: 'STRICT' }] }).success).toBe(
      false,
    );
  });

  it('keys port modes by port and asks for a selector with them', () => {
    const schema = toStructural(peerAuthenticationSpec) as {
      properties: { portModes: Record<string, unknown> };
      'x-kubernetes-validations': { rule: string }[];
    };
    expect(schema.properties.portModes['x-kubernetes-list-map-keys']).toEqual(['port']);
    expect(schema['x-kubernetes-validations'].map((r) => r.rule)).toEqual([
      'has(self.mode) || has(self.portModes)',
      '!has(self.portModes) || has(self.selector)',
    ]);
  });
});

describe('PeerAuthentication CRD', () => {
  it('is namespaced with short name pa and shows its mode', () => {
    expect(peerAuthenticationCrd.shortNames).toEqual(['pa']);
    expect(peerAuthenticationCrd.printerColumns[0]).toMatchObject({ name: 'Mode', jsonPath: '.spec.mode' });
  });
});
