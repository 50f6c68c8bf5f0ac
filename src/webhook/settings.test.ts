import { describe, expect, it } from 'vitest';
import { defaultSettings, parseSettings, resolveNativeSidecar, supportsNativeSidecars } from './settings.js';

describe('injection settings', () => {
  it('defaults every field, so an empty file is valid', () => {
    expect(parseSettings('{}')).toEqual(defaultSettings);
    expect(defaultSettings).toMatchObject({
      version: '0.1.0',
      nativeSidecar: 'auto',
      holdApplication: true,
      includeOutboundCidrs: ['0.0.0.0/0'],
      proxyResources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { memory: '256Mi' } },
    });
  });

  it('accepts a registry with a port', () => {
    expect(parseSettings('{"image":"localhost:5000/trellis"}').image).toBe('localhost:5000/trellis');
  });

  it('keeps what the file sets', () => {
    const s = parseSettings(
      JSON.stringify({ version: '1.2.3', logLevel: 'debug', excludeOutboundCidrs: ['10.0.0.0/8'] }),
    );
    expect(s).toMatchObject({ version: '1.2.3', logLevel: 'debug', excludeOutboundCidrs: ['10.0.0.0/8'] });
  });

  it.each([
    ['not json', 'settings are not JSON'],
    ['{"logLevel":"loud"}', 'logLevel'],
    ['{"version":"1.0/evil"}', 'must also be a valid label value'],
    ['{"excludeOutboundCidrs":["10.0.0.0"]}', 'excludeOutboundCidrs'],
    ['{"proxyResources":{"requests":{"cpu":"lots"}}}', 'not a resource quantity'],
    ['{"unknownField":1}', 'unknownField'],
    ['{"image":"ghcr.io/x/sidecar:1.0"}', 'must carry no tag or digest'],
    ['{"image":"ghcr.io/x/sidecar@sha256:abc"}', 'must carry no tag or digest'],
  ])('refuses %s naming the problem', (text, message) => {
    expect(() => parseSettings(text)).toThrow(message);
  });

  it.each([
    [{ major: '1', minor: '28' }, false],
    [{ major: '1', minor: '29' }, true],
    [{ major: '1', minor: '36' }, true],
    [{ major: '1', minor: '30+' }, true],
    [{ major: '2', minor: '0' }, true],
    [{ major: '', minor: '' }, false],
  ])('native sidecars on %j: %s', (version, expected) => {
    expect(supportsNativeSidecars(version)).toBe(expected);
  });

  it('resolves auto from the server version, and unknown as classic', () => {
    expect(resolveNativeSidecar('auto', { major: '1', minor: '36' })).toBe(true);
    expect(resolveNativeSidecar('auto', { major: '1', minor: '28' })).toBe(false);
    expect(resolveNativeSidecar('auto', undefined)).toBe(false);
    expect(resolveNativeSidecar('on', undefined)).toBe(true);
    expect(resolveNativeSidecar('off', { major: '1', minor: '36' })).toBe(false);
  });
});
