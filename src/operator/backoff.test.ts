import { describe, expect, it } from 'vitest';
import { backoffDelay } from './backoff.js';

describe('backoffDelay', () => {
  it.each([
    [0, 5, 1000, 0],
    [1, 5, 1000, 5],
    [2, 5, 1000, 10],
    [3, 5, 1000, 20],
    [8, 5, 1000, 640],
    [9, 5, 1000, 1000],
    [10, 5, 1000, 1000],
    [5000, 5, 1000, 1000],
    [1, 1000, 300_000, 1000],
    [10, 1000, 300_000, 300_000],
  ])('failure %i with base %i and cap %i waits %i ms', (failures, baseMs, capMs, expected) => {
    expect(backoffDelay(failures, { baseMs, capMs })).toBe(expected);
  });
});
