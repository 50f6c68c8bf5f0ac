import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { expand, formatMap, type ObjectData, parseQuantity, podField, resolveEnv } from './env.js';

const pod: V1Pod = {
  metadata: {
    name: 'web-1',
    namespace: 'shop',
    uid: 'u-1',
    labels: { app: 'web', tier: 'front' },
    annotations: { note: 'say "hi"' },
  },
  spec: { nodeName: 'n1', serviceAccountName: 'web', containers: [] },
  status: { podIP: '198.18.0.5', hostIP: '198.18.0.1' },
};

const data: ObjectData = {
  configMap: (ns, name) => (ns === 'shop' && name === 'cfg' ? { color: 'blue', size: 'L' } : undefined),
  secret: (ns, name) => (ns === 'shop' && name === 'creds' ? { password: 's3cret' } : undefined),
};

describe('podField', () => {
  it.each([
    ['metadata.name', 'web-1'],
    ['metadata.namespace', 'shop'],
    ['metadata.uid', 'u-1'],
    ["metadata.labels['tier']", 'front'],
    ["metadata.annotations['missing']", ''],
    ['spec.nodeName', 'n1'],
    ['spec.serviceAccountName', 'web'],
    ['status.podIP', '198.18.0.5'],
    ['status.hostIP', '198.18.0.1'],
    ['metadata.labels', 'app="web"\ntier="front"'],
  ])('%s → %j', (fieldPath, value) => {
    expect(podField(pod, { fieldPath })).toBe(value);
  });

  it('refuses a field the downward API does not offer', () => {
    expect(() => podField(pod, { fieldPath: 'spec.hostname' })).toThrow(/unsupported fieldPath/);
  });
});

describe('helpers', () => {
  it('formats maps as the kubelet does: sorted, values quoted and escaped', () => {
    expect(formatMap({ b: '2', a: 'say "hi"' })).toBe('a="say \\"hi\\""\nb="2"');
    expect(formatMap(undefined)).toBe('');
  });

  it('parses quantities', () => {
    expect(parseQuantity('500m')).toBe(0.5);
    expect(parseQuantity('2')).toBe(2);
    expect(parseQuantity('1Gi')).toBe(2 ** 30);
    expect(parseQuantity('3M')).toBe(3e6);
    expect(() => parseQuantity('lots')).toThrow(/unsupported quantity/);
  });

  it('expands $(VAR) from known variables, keeps unknown ones, and unescapes $$', () => {
    expect(expand('$(A)-$(B)-$$(A)', { A: 'x' })).toBe('x-$(B)-$(A)');
  });
});

describe('resolveEnv', () => {
  const base = { KUBERNETES_SERVICE_HOST: '198.18.0.1' };

  it('builds the environment in order: base, envFrom, env; valueFrom of every kind', () => {
    const container: V1Container = {
      name: 'app',
      resources: { limits: { memory: '256Mi' }, requests: { cpu: '250m' } },
      envFrom: [{ configMapRef: { name: 'cfg' }, prefix: 'CFG_' }, { secretRef: { name: 'creds' } }],
      env: [
        { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        { name: 'COLOR', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'color' } } },
        { name: 'PASS', valueFrom: { secretKeyRef: { name: 'creds', key: 'password' } } },
        { name: 'MEM_MI', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
        { name: 'CPU_M', valueFrom: { resourceFieldRef: { resource: 'requests.cpu', divisor: '1m' } } },
        { name: 'URL', value: 'http://$(KUBERNETES_SERVICE_HOST)/$(POD)' },
        { name: 'OPTIONAL', valueFrom: { configMapKeyRef: { name: 'none', key: 'x', optional: true } } },
      ],
    };
    expect(resolveEnv(pod, container, base, data)).toEqual({
      KUBERNETES_SERVICE_HOST: '198.18.0.1',
      CFG_color: 'blue',
      CFG_size: 'L',
      password: 's3cret',
      POD: 'web-1',
      COLOR: 'blue',
      PASS: 's3cret',
      MEM_MI: '256',
      CPU_M: '250',
      URL: 'http://198.18.0.1/web-1',
    });
  });

  it('reports a limit that is not set as the node allocatable', () => {
    const container: V1Container = {
      name: 'app',
      env: [{ name: 'CPUS', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } }],
    };
    expect(resolveEnv(pod, container, {}, data).CPUS).toBe('4');
  });

  it('throws for a missing required ConfigMap, Secret or key', () => {
    const env = (valueFrom: NonNullable<V1Container['env']>[number]['valueFrom']) => () =>
      resolveEnv(pod, { name: 'app', env: [{ name: 'X', valueFrom }] }, {}, data);
    expect(env({ configMapKeyRef: { name: 'none', key: 'x' } })).toThrow('configMap "none" not found');
    expect(env({ secretKeyRef: { name: 'creds', key: 'user' } })).toThrow('secret "creds" has no key "user"');
    expect(() =>
      resolveEnv(pod, { name: 'app', envFrom: [{ secretRef: { name: 'gone' } }] }, {}, data),
    ).toThrow('secret "gone" not found');
  });
});
