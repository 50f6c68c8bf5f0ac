import { describe, expect, it } from 'vitest';
import { type MeshConfigSpecInput, meshConfigSpec } from '../../api/crds/index.js';
import { parseSettings } from '../../webhook/settings.js';
import { injectorSettings } from './settings.js';

const spec = (input: MeshConfigSpecInput = {}) => meshConfigSpec.parse(input);

describe('injectorSettings', () => {
  it('renders the MeshConfig defaults into a file the injector parses to the same settings', () => {
    const out = injectorSettings(spec(), '0.1.0');
    if (!out.ok) throw new Error(out.message);
    expect(out.settings).toMatchObject({
      image: 'ghcr.io/trellis-mesh/trellis-sidecar',
      version: '0.1.0',
      proxyResources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '256Mi' } },
      logLevel: 'info',
      nativeSidecar: 'auto',
      holdApplication: true,
    });
    expect(parseSettings(out.json)).toEqual(out.settings);
  });

  it.each([
    [{ proxy: { image: 'registry.example/sidecar' } }, { image: 'registry.example/sidecar' }],
    [{ proxy: { logLevel: 'debug' as const } }, { logLevel: 'debug' }],
    [{ proxy: { nativeSidecar: 'off' as const } }, { nativeSidecar: 'off' }],
    [{ proxy: { holdApplication: false } }, { holdApplication: false }],
    [
      { proxy: { resources: { requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '2' } } } },
      { proxyResources: { requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '2' } } },
    ],
  ])('%j → %j', (input, want) => {
    const out = injectorSettings(spec(input), '0.2.0');
    expect(out.ok && out.settings).toMatchObject({ version: '0.2.0', ...want });
  });

  it('is deterministic: same MeshConfig, same bytes', () => {
    const a = injectorSettings(spec({ proxy: { logLevel: 'warn' } }), '0.2.0');
    const b = injectorSettings(spec({ proxy: { logLevel: 'warn' } }), '0.2.0');
    expect(a.ok && b.ok && a.json === b.json).toBe(true);
  });

  it('refuses a proxy image carrying a tag, saying why', () => {
    const out = injectorSettings(spec({ proxy: { image: 'registry.example/sidecar:1.0' } }), '0.1.0');
    expect(out).toEqual({
      ok: false,
      message:
        'the injector would refuse these settings: ✖ must carry no tag or digest (the tag is `version`)\n  → at image',
    });
  });
});
