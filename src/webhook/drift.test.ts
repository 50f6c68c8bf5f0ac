import { describe, expect, it } from 'vitest';
import type { PodLike } from './decision.js';
import { injectionDrift } from './drift.js';
import { injectPod } from './inject.js';
import { defaultSettings } from './settings.js';

const pod = (annotations: Record<string, string> = {}): PodLike => ({
  metadata: { name: 'p', annotations },
  spec: { containers: [{ name: 'app' }] },
});
const labelled = { name: 'shop', labels: { 'trellis.dev/inject': 'enabled' } };
const plain = { name: 'shop' };

describe('injection drift', () => {
  it('finds pods that asked for the mesh and run without it', () => {
    expect(injectionDrift(pod({ 'trellis.dev/inject': 'true' }), plain)).toEqual({
      reason: 'pod-annotation',
    });
    expect(injectionDrift(pod(), labelled)).toEqual({ reason: 'namespace-label' });
  });

  it('does not report pods that are meshed, never asked, or cannot be meshed', () => {
    const injected = injectPod(pod({ 'trellis.dev/inject': 'true' }), {
      namespace: 'shop',
      settings: defaultSettings,
      native: true,
    });
    if (injected.result !== 'injected') throw new Error('not injected');
    expect(injectionDrift(injected.pod, plain)).toBeUndefined();
    expect(injectionDrift(pod(), plain)).toBeUndefined();
    expect(injectionDrift(pod({ 'trellis.dev/inject': 'false' }), labelled)).toBeUndefined();
    expect(injectionDrift(pod(), { name: 'kube-system', labels: labelled.labels })).toBeUndefined();
  });
});
