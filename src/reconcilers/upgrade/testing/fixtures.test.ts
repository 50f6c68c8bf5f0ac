import { describe, expect, it } from 'vitest';
import { isMeshed } from '../../meshed.js';
import { proxyVersionOf } from '../outdated.js';
import { isAvailable, stampOf } from '../workloads.js';
import { deployment, mesh, pod, podsOf } from './fixtures.js';

describe('upgrade fixtures', () => {
  it('build meshed pods at a version and plain pods', () => {
    expect(isMeshed(pod('a', { version: '0.1.0' }))).toBe(true);
    expect(proxyVersionOf(pod('a', { version: '0.1.0' }))).toBe('0.1.0');
    expect(isMeshed(pod('a'))).toBe(false);
    expect(podsOf('Deployment', 'a', '0.1.0').map((p) => p.metadata?.ownerReferences?.[0]?.name)).toEqual([
      'a-abc',
      'a-abc',
    ]);
  });

  it('build workloads available or not, stamped or not', () => {
    expect(isAvailable({ kind: 'Deployment', object: deployment('a') })).toBe(true);
    expect(isAvailable({ kind: 'Deployment', object: deployment('a', { available: false }) })).toBe(false);
    const stamped = deployment('a', { restartedFor: '0.2.0', restartedAt: 'T' });
    expect(stampOf({ kind: 'Deployment', object: stamped }, '0.2.0')?.restartedAt).toBe('T');
  });

  it('parse the MeshConfig with defaults filled', () => {
    expect(mesh().spec.upgrade).toEqual({
      strategy: 'Manual',
      pace: '30s',
      workloadTimeout: '10m',
      paused: false,
    });
  });
});
