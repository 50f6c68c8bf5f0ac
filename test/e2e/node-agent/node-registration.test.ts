import { describe, expect, it } from 'vitest';
import { nodeObject } from './node-registration.js';

describe('nodeObject', () => {
  it('is a Ready node with capacity, addresses and the taints asked for', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    const taint = { key: 'k', value: 'v', effect: 'NoSchedule' };
    const node = nodeObject('agent-1', '198.18.0.1', [taint], now);
    expect(node.metadata?.labels?.['kubernetes.io/hostname']).toBe('agent-1');
    expect(node.spec?.taints).toEqual([taint]);
    expect(node.status?.conditions).toEqual([
      expect.objectContaining({ type: 'Ready', status: 'True', lastHeartbeatTime: now }),
    ]);
    expect(node.status?.capacity).toMatchObject({ cpu: '4', pods: '110' });
    expect(node.status?.addresses).toEqual([
      { type: 'InternalIP', address: '198.18.0.1' },
      { type: 'Hostname', address: 'agent-1' },
    ]);
  });
});
