import { describe, expect, it } from 'vitest';
import { type DecisionContext, decide, isInjected, type PodLike } from './decision.js';

const pod = (
  opts: {
    annotations?: Record<string, string>;
    labels?: Record<string, string>;
    hostNetwork?: boolean;
    containers?: string[];
    initContainers?: string[];
  } = {},
): PodLike => ({
  metadata: { name: 'p', annotations: opts.annotations ?? {}, labels: opts.labels ?? {} },
  spec: {
    ...(opts.hostNetwork ? { hostNetwork: true } : {}),
    containers: (opts.containers ?? ['app']).map((name) => ({ name })),
    initContainers: (opts.initContainers ?? []).map((name) => ({ name })),
  },
});
const inAnnotated: DecisionContext = { namespace: 'shop' };
const inLabelled: DecisionContext = { namespace: 'shop', defaultOptIn: 'namespace-label' };
const yes = { 'trellis.dev/inject': 'true' };
const injectedStatus = JSON.stringify({
  version: '0.1.0',
  native: true,
  initContainers: ['trellis-init', 'trellis-proxy'],
  containers: [],
  volumes: [],
});

describe('the injection decision', () => {
  it.each<[string, PodLike, DecisionContext, string, boolean]>([
    ['pod annotation', pod({ annotations: yes }), inAnnotated, 'pod-annotation', true],
    ['pod label', pod({ labels: yes }), inAnnotated, 'pod-label', true],
    ['namespace label', pod(), inLabelled, 'namespace-label', true],
    ['trellisctl', pod(), { namespace: 'shop', defaultOptIn: 'offline' }, 'offline', true],
    [
      'annotation wins over the namespace as the reason',
      pod({ annotations: yes }),
      inLabelled,
      'pod-annotation',
      true,
    ],
    ['nothing asked', pod(), inAnnotated, 'not-opted-in', false],
    ['kube-system', pod({ annotations: yes }), { namespace: 'kube-system' }, 'system-namespace', false],
    [
      'trellis-system',
      pod(),
      { namespace: 'trellis-system', defaultOptIn: 'namespace-label' },
      'system-namespace',
      false,
    ],
    [
      'opt-out annotation in a labelled namespace',
      pod({ annotations: { 'trellis.dev/inject': 'false' } }),
      inLabelled,
      'opted-out',
      false,
    ],
    [
      'opt-out label beats an opt-in annotation',
      pod({ annotations: yes, labels: { 'trellis.dev/inject': 'false' } }),
      inAnnotated,
      'opted-out',
      false,
    ],
    [
      'a typo',
      pod({ annotations: { 'trellis.dev/inject': 'yes' } }),
      inLabelled,
      'invalid-inject-value',
      false,
    ],
    ['hostNetwork', pod({ annotations: yes, hostNetwork: true }), inAnnotated, 'host-network', false],
    [
      'our proxy is there',
      pod({ annotations: yes, initContainers: ['trellis-init', 'trellis-proxy'] }),
      inAnnotated,
      'already-injected',
      false,
    ],
    [
      'classic proxy is there',
      pod({ containers: ['trellis-proxy', 'app'] }),
      inLabelled,
      'already-injected',
      false,
    ],
    [
      'status and its containers',
      pod({
        annotations: { ...yes, 'trellis.dev/status': injectedStatus },
        initContainers: ['trellis-init', 'trellis-proxy'],
      }),
      inAnnotated,
      'already-injected',
      false,
    ],
    ['Istio sidecar', pod({ containers: ['app', 'istio-proxy'] }), inLabelled, 'other-mesh', false],
    [
      'Linkerd init',
      pod({ annotations: yes, initContainers: ['linkerd-init'] }),
      inAnnotated,
      'other-mesh',
      false,
    ],
    [
      'Istio status',
      pod({ annotations: { ...yes, 'sidecar.istio.io/status': '{}' } }),
      inAnnotated,
      'other-mesh',
      false,
    ],
    [
      'Istio ambient',
      pod({ annotations: { 'ambient.istio.io/redirection': 'enabled' } }),
      inLabelled,
      'other-mesh',
      false,
    ],
  ])('%s', (_what, p, ctx, reason, inject) => {
    const d = decide(p, ctx);
    expect(d).toMatchObject({ inject, reason });
    if (!d.inject) expect(d.message).not.toBe('');
  });

  it('a status whose containers are gone does not count as injected', () => {
    expect(isInjected(pod({ annotations: { 'trellis.dev/status': injectedStatus } }))).toBe(false);
    expect(
      decide(pod({ annotations: { ...yes, 'trellis.dev/status': injectedStatus } }), inAnnotated),
    ).toEqual({
      inject: true,
      reason: 'pod-annotation',
    });
  });

  it('a status that is not ours is ignored', () => {
    expect(isInjected(pod({ annotations: { 'trellis.dev/status': 'injected' } }))).toBe(false);
  });
});
