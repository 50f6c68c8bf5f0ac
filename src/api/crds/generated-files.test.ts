import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { generatedFiles } from './generated-files.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const files = generatedFiles();

describe('committed generated files', () => {
  for (const [path, content] of files) {
    it(`${path} matches the schemas (else run npm run generate:crds)`, () => {
      const onDisk = existsSync(join(root, path)) ? readFileSync(join(root, path), 'utf8') : '(missing)';
      expect(onDisk === content, `${path} is out of date: run npm run generate:crds`).toBe(true);
    });
  }

  it('config/crd holds no CRD the schemas do not make (else run npm run generate:crds)', () => {
    const onDisk = readdirSync(join(root, 'config/crd')).filter((f) => f.endsWith('.yaml'));
    expect(onDisk.map((f) => `config/crd/${f}`).sort()).toEqual(
      [...files.keys()].filter((p) => p.startsWith('config/crd/')).sort(),
    );
  });
});
