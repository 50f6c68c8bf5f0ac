import { describe, expect, it } from 'vitest';
import { rateLimitOf } from './rate-limit.js';

describe('rateLimitOf', () => {
  it('converts the fill interval to milliseconds', () => {
    expect(
      rateLimitOf({ maxTokens: 10, tokensPerFill: 2, fillInterval: '250ms', perIdentity: true }),
    ).toEqual({
      maxTokens: 10,
      tokensPerFill: 2,
      fillIntervalMs: 250,
      perIdentity: true,
    });
  });

  it.each([
    [
      { maxTokens: 1, tokensPerFill: 2, fillInterval: '1s', perIdentity: false },
      'tokensPerFill must not exceed maxTokens',
    ],
    [{ maxTokens: 1, tokensPerFill: 1, fillInterval: '0.1ms', perIdentity: false }, 'at least 1ms'],
  ])('refuses %j', (r, message) => {
    expect(() => rateLimitOf(r)).toThrow(message);
  });
});
