import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { crdManifest } from './crd.js';
import { crds } from './index.js';
import { crdFileName, generatedHeader, renderCrd } from './render.js';

describe('renderCrd', () => {
  for (const def of crds) {
    it(`writes ${def.kind} as YAML that reads back as the manifest`, () => {
      const text = renderCrd(def);
      expect(text.startsWith(generatedHeader)).toBe(true);
      expect(parse(text)).toEqual(crdManifest(def));
    });
  }

  it('gives the same bytes every time', () => {
    for (const def of crds) expect(renderCrd(def)).toBe(renderCrd(def));
  });

  it('never folds long lines, so a changed description is a one-line diff', () => {
    const text = crds.map(renderCrd).join('');
    const description = text.split('\n').find((l) => l.includes('Trellis release to run'));
    expect(description).toContain('Changing it upgrades the mesh.');
  });

  it('names files <group>_<plural>.yaml', () => {
    expect(crds.map(crdFileName)).toEqual([
      'trellis.dev_meshconfigs.yaml',
      'trellis.dev_trafficroutes.yaml',
      'trellis.dev_destinationpolicies.yaml',
      'trellis.dev_peerauthentications.yaml',
      'trellis.dev_authorizationpolicies.yaml',
    ]);
  });
});
