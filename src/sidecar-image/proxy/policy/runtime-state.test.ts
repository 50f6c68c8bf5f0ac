import { describe, expect, it } from 'vitest';
import type { ConnectionPool } from '../../../api/proxy-config-policies.js';
import { RuntimeState } from './runtime-state.js';

const pool = (maxConcurrentRequests: number): ConnectionPool => ({
  maxConnections: 0,
  maxPendingRequests: 0,
  maxConcurrentRequests,
  maxRequestsPerConnection: 0,
  connectTimeoutMs: 1000,
  idleTimeoutMs: 1000,
});

describe('RuntimeState', () => {
  it('keeps an engine across loads while its settings stay the same', () => {
    const s = new RuntimeState(() => 0);
    const a = s.breakers.get('shop/reviews', pool(10));
    a.startRequest();
    s.sweep();
    expect(s.breakers.get('shop/reviews', pool(10))).toBe(a);
    expect(a.active).toBe(1);
  });

  it('starts a fresh engine when the settings change', () => {
    const s = new RuntimeState(() => 0);
    const a = s.breakers.get('shop/reviews', pool(10));
    expect(s.breakers.get('shop/reviews', pool(20))).not.toBe(a);
  });

  it('drops engines a load no longer asks for', () => {
    const s = new RuntimeState(() => 0);
    s.breakers.get('a', pool(1));
    s.budgets.get('a', { percent: 20, minRetriesPerSecond: 10, windowMs: 10_000 });
    s.limiters.get('r', { maxTokens: 1, tokensPerFill: 1, fillIntervalMs: 1000, perIdentity: false });
    s.sweep();
    expect(s.size).toBe(3);
    s.breakers.get('a', pool(1));
    s.sweep();
    expect(s.size).toBe(1);
  });
});
