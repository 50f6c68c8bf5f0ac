import { describe, expect, it } from 'vitest';
import { applyOverrides } from './overrides.js';
import { defaultSettings } from './settings.js';

const apply = (annotations: Record<string, string>, native = true) =>
  applyOverrides(defaultSettings, native, annotations);

describe('per-pod overrides', () => {
  it('without annotations is the settings as they are', () => {
    expect(apply({})).toEqual({ ok: true, settings: { ...defaultSettings, native: true } });
  });

  it('applies every override', () => {
    const r = apply({
      'trellis.dev/exclude-inbound-ports': '22, 9090',
      'trellis.dev/exclude-outbound-ports': '3306',
      'trellis.dev/exclude-outbound-ip-ranges': '169.254.169.254/32,10.0.0.0/8',
      'trellis.dev/include-outbound-ip-ranges': '10.96.0.0/12',
      'trellis.dev/opaque-ports': '5432',
      'trellis.dev/proxy-cpu': '250m',
      'trellis.dev/proxy-memory': '512Mi',
      'trellis.dev/log-level': 'debug',
      'trellis.dev/native-sidecar': 'false',
      'trellis.dev/hold-application': 'false',
    });
    if (!r.ok) throw new Error(r.errors.join());
    expect(r.settings).toMatchObject({
      excludeInboundPorts: [22, 9090],
      excludeOutboundPorts: [3306],
      excludeOutboundCidrs: ['169.254.169.254/32', '10.0.0.0/8'],
      includeOutboundCidrs: ['10.96.0.0/12'],
      opaquePorts: [5432],
      proxyResources: { requests: { cpu: '250m', memory: '512Mi' }, limits: { memory: '512Mi' } },
      logLevel: 'debug',
      native: false,
      holdApplication: false,
    });
  });

  it('leaves the shared settings untouched', () => {
    apply({ 'trellis.dev/proxy-memory': '1Gi' });
    expect(defaultSettings.proxyResources.limits.memory).toBe('256Mi');
  });

  it('lists every bad value', () => {
    const r = apply({
      'trellis.dev/exclude-inbound-ports': '22,70000,ssh',
      'trellis.dev/exclude-outbound-ip-ranges': '10.0.0.0',
      'trellis.dev/proxy-cpu': 'a lot',
      'trellis.dev/proxy-memory': '1 GB',
      'trellis.dev/log-level': 'chatty',
      'trellis.dev/native-sidecar': 'yes',
    });
    expect(r).toEqual({
      ok: false,
      errors: [
        'trellis.dev/exclude-inbound-ports: "70000" is not a port',
        'trellis.dev/exclude-inbound-ports: "ssh" is not a port',
        'trellis.dev/exclude-outbound-ip-ranges: "10.0.0.0" is not an IPv4 CIDR',
        'trellis.dev/proxy-cpu: "a lot" is not a CPU quantity',
        'trellis.dev/proxy-memory: "1 GB" is not a memory quantity',
        'trellis.dev/log-level: "chatty" must be one of trace, debug, info, warn, error',
        'trellis.dev/native-sidecar: "yes" must be "true" or "false"',
      ],
    });
  });
});
