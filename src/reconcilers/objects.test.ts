import { describe, expect, it } from 'vitest';
import { namespaceWarning, proxyConfigMapObject } from './objects.js';
import { mesh } from './testing/objects.js';

describe('proxyConfigMapObject', () => {
  it('holds the document under config.json with the hash and our labels', () => {
    const cm = proxyConfigMapObject('shop', '{"a":1}', 'h', mesh({}, 'uid-1'));
    expect(cm).toEqual({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'trellis-proxy-config',
        namespace: 'shop',
        labels: {
          'app.kubernetes.io/managed-by': 'trellis-operator',
          'app.kubernetes.io/component': 'proxy-config',
        },
        annotations: { 'trellis.dev/config-hash': 'h' },
        ownerReferences: [
          {
            apiVersion: 'trellis.dev/v1alpha1',
            kind: 'MeshConfig',
            name: 'default',
            uid: 'uid-1',
            controller: true,
          },
        ],
      },
      data: { 'config.json': '{"a":1}' },
    });
  });
});

describe('namespaceWarning', () => {
  it('names the event after the content hash, so one problem is reported once', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    const a = namespaceWarning('shop', 'ProxyConfigTooLarge', 'm', 'abcdef0123456789ffff', now);
    const b = namespaceWarning('shop', 'ProxyConfigTooLarge', 'm', 'abcdef0123456789eeee', now);
    expect(a.metadata.name).toBe('trellis-proxy-config.abcdef0123456789');
    expect(b.metadata.name).toBe(a.metadata.name);
    expect(namespaceWarning('shop', 'R', 'm', '1111111111111111', now).metadata.name).not.toBe(
      a.metadata.name,
    );
    expect(a.involvedObject).toEqual({
      apiVersion: 'v1',
      kind: 'Namespace',
      name: 'shop',
      namespace: 'shop',
    });
  });
});
