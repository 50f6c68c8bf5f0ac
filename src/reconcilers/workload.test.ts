import type { V1OwnerReference, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { workloadOf } from './workload.js';

const owner = (kind: string, name: string, controller = true): V1OwnerReference => ({
  apiVersion: 'apps/v1',
  kind,
  name,
  uid: 'u',
  controller,
});
const pod = (owners: V1OwnerReference[], labels: Record<string, string> = {}): V1Pod => ({
  metadata: { name: 'web-7d4b9-abcde', ownerReferences: owners, labels },
});

describe('workloadOf', () => {
  it.each([
    [
      'Deployment via ReplicaSet',
      pod([owner('ReplicaSet', 'web-7d4b9')], { 'pod-template-hash': '7d4b9' }),
      'web',
    ],
    ['ReplicaSet without the hash label', pod([owner('ReplicaSet', 'web-7d4b9')]), 'web-7d4b9'],
    ['StatefulSet', pod([owner('StatefulSet', 'db')]), 'db'],
    ['non-controller owner only', pod([owner('ReplicaSet', 'x', false)]), 'web-7d4b9-abcde'],
    ['bare pod', pod([]), 'web-7d4b9-abcde'],
  ])('%s → %s', (_name, p, expected) => {
    expect(workloadOf(p)).toBe(expected);
  });
});
