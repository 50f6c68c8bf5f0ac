import { describe, expect, it } from 'vitest';
import { parseDemoArgs, parseSeconds } from './demo-args.js';

describe('parseSeconds', () => {
  it.each([
    ['90', 90],
    ['45s', 45],
    ['2m', 120],
    ['1m30s', 90],
  ])('%s → %d', (text, seconds) => {
    expect(parseSeconds(text, '--for')).toBe(seconds);
  });

  it.each(['', '0s', 'soon', '5h', '-3s'])('refuses "%s"', (text) => {
    expect(() => parseSeconds(text, '--for')).toThrow(`--for: "${text}" is not a duration like 60s or 2m`);
  });
});

describe('parseDemoArgs', () => {
  it('runs until Ctrl-C at 10 requests a second by default', () => {
    expect(parseDemoArgs([])).toEqual({ rate: 10, refreshSeconds: 5 });
  });

  it('takes --for, --rate and --refresh', () => {
    expect(parseDemoArgs(['--for', '60s', '--rate', '20', '--refresh', '2s'])).toEqual({
      forSeconds: 60,
      rate: 20,
      refreshSeconds: 2,
    });
  });

  it('refuses a bad rate and an unknown flag', () => {
    expect(() => parseDemoArgs(['--rate', '0'])).toThrow('--rate: "0" is not a whole number from 1 to 200');
    expect(() => parseDemoArgs(['--fast'])).toThrow(/Unknown option '--fast'/);
  });
});
