import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { activeMeshedPods, isActive, isMeshed, serviceAccountOf } from './meshed.js';

const app = { name: 'app', image: 'app' };
const proxy = { name: 'trellis-proxy', image: 'proxy' };
const pod = (spec: Partial<NonNullable<V1Pod['spec']>>, phase?: string): V1Pod => ({
  metadata: { name: 'p', namespace: 'n' },
  spec: { containers: [app], ...spec },
  status: phase ? { phase } : {},
});

describe('isMeshed', () => {
  it.each([
    ['classic sidecar', pod({ containers: [proxy, app] }), true],
    ['native sidecar', pod({ initContainers: [{ ...proxy, restartPolicy: 'Always' }] }), true],
    ['init container that is not a sidecar', pod({ initContainers: [proxy] }), false],
    ['no proxy', pod({}), false],
    ['no spec', { metadata: { name: 'x' } } satisfies V1Pod, false],
    [
      'status annotation alone',
      { ...pod({}), metadata: { name: 'p', annotations: { 'trellis.dev/status': '{}' } } },
      false,
    ],
  ])('%s → %s', (_name, p, expected) => {
    expect(isMeshed(p)).toBe(expected);
  });
});

describe('isActive / serviceAccountOf / activeMeshedPods', () => {
  it('treats only Succeeded and Failed as finished', () => {
    expect(['Pending', 'Running', 'Unknown', undefined].map((ph) => isActive(pod({}, ph)))).toEqual([
      true,
      true,
      true,
      true,
    ]);
    expect(isActive(pod({}, 'Succeeded'))).toBe(false);
    expect(isActive(pod({}, 'Failed'))).toBe(false);
  });

  it('reads the service account, default when unset', () => {
    expect(serviceAccountOf(pod({ serviceAccountName: 'web' }))).toBe('web');
    expect(serviceAccountOf(pod({ serviceAccount: 'old' }))).toBe('old');
    expect(serviceAccountOf(pod({}))).toBe('default');
  });

  it('keeps meshed pods that still run', () => {
    const meshed = pod({ containers: [proxy, app] });
    const done = pod({ containers: [proxy, app] }, 'Succeeded');
    expect(activeMeshedPods([meshed, done, pod({})])).toEqual([meshed]);
  });
});
