import { describe, expect, it } from 'vitest';
import type { PeerAuthentication } from '../../../api/proxy-config-policies.js';
import { mtlsAdmits, WorkloadMtls } from './mtls-mode.js';

const mesh: PeerAuthentication = {
  scope: 'mesh',
  namespace: 'trellis-system',
  mode: 'STRICT',
  source: 'mesh',
};
const ns: PeerAuthentication = { scope: 'namespace', namespace: 'shop', mode: 'PERMISSIVE', source: 'ns' };
const other: PeerAuthentication = {
  scope: 'namespace',
  namespace: 'other',
  mode: 'DISABLE',
  source: 'other',
};
const wl: PeerAuthentication = {
  scope: 'workload',
  namespace: 'shop',
  selector: { app: 'reviews' },
  mode: 'STRICT',
  portModes: [{ port: 9090, mode: 'DISABLE' }],
  source: 'wl',
};
const wlPortsOnly: PeerAuthentication = {
  scope: 'workload',
  namespace: 'shop',
  selector: { app: 'ratings' },
  portModes: [{ port: 8080, mode: 'STRICT' }],
  source: 'wl-ports',
};
const younger: PeerAuthentication = { ...wl, mode: 'DISABLE', portModes: undefined, source: 'younger' };

describe('WorkloadMtls', () => {
  it.each([
    ['MeshConfig alone', [], {}, 8080, 'PERMISSIVE', 'MeshConfig'],
    ['mesh-wide policy beats MeshConfig', [mesh], {}, 8080, 'STRICT', 'mesh'],
    ['namespace beats mesh-wide', [mesh, ns], {}, 8080, 'PERMISSIVE', 'ns'],
    ["another namespace's policy does not apply", [other], {}, 8080, 'PERMISSIVE', 'MeshConfig'],
    ['workload beats namespace', [mesh, ns, wl], { app: 'reviews' }, 8080, 'STRICT', 'wl'],
    ['port beats workload', [mesh, ns, wl], { app: 'reviews' }, 9090, 'DISABLE', 'wl'],
    ['a selector that does not match', [ns, wl], { app: 'other' }, 9090, 'PERMISSIVE', 'ns'],
    [
      'ports-only policy: other ports inherit',
      [mesh, ns, wlPortsOnly],
      { app: 'ratings' },
      9000,
      'PERMISSIVE',
      'ns',
    ],
    ['ports-only policy: its port', [mesh, ns, wlPortsOnly], { app: 'ratings' }, 8080, 'STRICT', 'ns'],
    ['the first (oldest) workload policy wins', [wl, younger], { app: 'reviews' }, 8080, 'STRICT', 'wl'],
  ] as const)('%s', (_what, policies, labels, port, mode, source) => {
    const m = new WorkloadMtls(policies, 'shop', labels, 'PERMISSIVE');
    expect(m.modeFor(port)).toBe(mode);
    expect(m.source).toBe(source);
  });

  it.each([
    ['STRICT', true, true],
    ['STRICT', false, false],
    ['PERMISSIVE', true, true],
    ['PERMISSIVE', false, true],
    ['DISABLE', true, true],
    ['DISABLE', false, true],
  ] as const)('%s admits mTLS=%s: %s', (mode, isMtls, want) => {
    expect(mtlsAdmits(mode, isMtls)).toBe(want);
  });
});
