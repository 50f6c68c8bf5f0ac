import { describe, expect, it } from 'vitest';
import { joinTrace, traceHeaders } from './trace.js';

const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';

describe('joinTrace', () => {
  it('joins a W3C trace, keeping its id and sampling flag, with a new span under the caller', () => {
    const s = joinTrace({ traceparent: `00-${traceId}-00f067aa0ba902b7-01` }, 0);
    expect(s).toMatchObject({ traceId, parentSpanId: '00f067aa0ba902b7', sampled: true });
    expect(s.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(s.spanId).not.toBe('00f067aa0ba902b7');
  });

  it('joins a B3 trace, widening a 64-bit trace id', () => {
    const s = joinTrace(
      { 'x-b3-traceid': 'a3ce929d0e0e4736', 'x-b3-spanid': '00f067aa0ba902b7', 'x-b3-sampled': '1' },
      0,
    );
    expect(s).toMatchObject({
      traceId: '0000000000000000a3ce929d0e0e4736',
      parentSpanId: '00f067aa0ba902b7',
      sampled: true,
    });
  });

  it.each([
    ['an all-zero trace id', `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`],
    ['an all-zero parent id', `00-${'a'.repeat(32)}-${'0'.repeat(16)}-01`],
    ['upper-case hex', `00-${'A'.repeat(32)}-00f067aa0ba902b7-01`],
    ['another version', `01-${'a'.repeat(32)}-00f067aa0ba902b7-01`],
    ['a short trace id', `00-${'a'.repeat(31)}-00f067aa0ba902b7-01`],
    ['a trailing field', `00-${'a'.repeat(32)}-00f067aa0ba902b7-01-x`],
    ['non-hex flags', `00-${'a'.repeat(32)}-00f067aa0ba902b7-0g`],
    ['wrong separators', `00_${'a'.repeat(32)}-00f067aa0ba902b7-01`],
  ])('does not join a traceparent with %s', (_what, traceparent) => {
    const s = joinTrace({ traceparent }, 0);
    expect(s.parentSpanId).toBeUndefined();
    expect(s.traceId).not.toBe('a'.repeat(32));
  });

  it('joins a valid traceparent with unsampled flags 00', () => {
    const s = joinTrace({ traceparent: `00-${'a'.repeat(32)}-00f067aa0ba902b7-00` }, 100);
    expect(s).toMatchObject({ traceId: 'a'.repeat(32), parentSpanId: '00f067aa0ba902b7', sampled: false });
  });

  it('starts a trace when there is none or it is malformed, sampling at the configured percentage', () => {
    expect(
      joinTrace({ traceparent: `00-${'0'.repeat(32)}-00f067aa0ba902b7-01` }, 100, () => 0.5).parentSpanId,
    ).toBeUndefined();
    expect(joinTrace({}, 1, () => 0.5).sampled).toBe(false);
    expect(joinTrace({}, 100, () => 0.5).sampled).toBe(true);
    expect(joinTrace({}, 0, () => 0).sampled).toBe(false);
  });
});

describe('span IDs', () => {
  it('do not repeat across many spans (the random pool refills)', () => {
    const ids = new Set(Array.from({ length: 2_000 }, () => joinTrace({}, 0).spanId));
    expect(ids.size).toBe(2_000);
  });
});

describe('traceHeaders', () => {
  it('writes both W3C and B3 for the proxy span', () => {
    expect(
      traceHeaders({ traceId, spanId: 'b7ad6b7169203331', parentSpanId: '00f067aa0ba902b7', sampled: true }),
    ).toEqual({
      traceparent: `00-${traceId}-b7ad6b7169203331-01`,
      'x-b3-traceid': traceId,
      'x-b3-spanid': 'b7ad6b7169203331',
      'x-b3-parentspanid': '00f067aa0ba902b7',
      'x-b3-sampled': '1',
    });
  });
});
