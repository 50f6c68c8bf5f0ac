import { describe, expect, it } from 'vitest';
import type { ConnectionPool } from '../../../api/proxy-config-policies.js';
import { CircuitBreaker } from './circuit-breaker.js';

const pool = (over: Partial<ConnectionPool> = {}): ConnectionPool => ({
  maxConnections: 2,
  maxPendingRequests: 1,
  maxConcurrentRequests: 3,
  maxRequestsPerConnection: 0,
  connectTimeoutMs: 10_000,
  idleTimeoutMs: 3_600_000,
  ...over,
});

describe('CircuitBreaker', () => {
  it('refuses requests over maxConcurrentRequests and admits again after one ends', () => {
    const b = new CircuitBreaker(pool());
    expect([b.startRequest(), b.startRequest(), b.startRequest(), b.startRequest()]).toEqual([
      'none',
      'none',
      'none',
      'requests',
    ]);
    expect(b.active).toBe(3);
    b.endRequest();
    expect(b.startRequest()).toBe('none');
    expect(b.overflows).toEqual({ connections: 0, pending: 0, requests: 1 });
  });

  it('a burst of 100 against a limit of 10 gets exactly 90 refusals', () => {
    const b = new CircuitBreaker(pool({ maxConcurrentRequests: 10 }));
    const results = Array.from({ length: 100 }, () => b.startRequest());
    expect(results.filter((r) => r === 'requests')).toHaveLength(90);
  });

  it('limits connections and pending requests separately', () => {
    const b = new CircuitBreaker(pool());
    expect([b.openConnection(), b.openConnection(), b.openConnection()]).toEqual([
      'none',
      'none',
      'connections',
    ]);
    b.closeConnection();
    expect(b.openConnection()).toBe('none');
    expect([b.startPending(), b.startPending()]).toEqual(['none', 'pending']);
    b.endPending();
    expect(b.startPending()).toBe('none');
  });

  it('treats 0 as unlimited', () => {
    const b = new CircuitBreaker(
      pool({ maxConcurrentRequests: 0, maxConnections: 0, maxPendingRequests: 0 }),
    );
    for (let i = 0; i < 10_000; i++) {
      expect(b.startRequest()).toBe('none');
      expect(b.openConnection()).toBe('none');
      expect(b.startPending()).toBe('none');
    }
    expect(b.connectionSpent(1_000_000)).toBe(false);
  });

  it('spends a connection after maxRequestsPerConnection', () => {
    const b = new CircuitBreaker(pool({ maxRequestsPerConnection: 3 }));
    expect([1, 2, 3, 4].map((n) => b.connectionSpent(n))).toEqual([false, false, true, true]);
  });

  it('never counts below zero on an unpaired end', () => {
    const b = new CircuitBreaker(pool());
    b.endRequest();
    b.closeConnection();
    b.endPending();
    expect([b.active, b.connections, b.pending]).toEqual([0, 0, 0]);
  });
});
