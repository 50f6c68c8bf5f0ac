import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { generatedFiles, writeGeneratedFiles } from './generated-files.js';

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

describe('writeGeneratedFiles', () => {
  it('writes every file and removes stale CRD files, leaving other files alone', () => {
    const dir = mkdtempSync(join(tmpdir(), 'crds-'));
    try {
      mkdirSync(join(dir, 'config/crd'), { recursive: true });
      writeFileSync(join(dir, 'config/crd/trellis.dev_oldkinds.yaml'), 'stale');
      writeFileSync(join(dir, 'config/crd/README'), 'kept');
      const small = new Map([
        ['config/crd/trellis.dev_widgets.yaml', 'a: 1\n'],
        ['docs/crds.md', '# docs\n'],
      ]);
      expect(writeGeneratedFiles(dir, small)).toEqual([
        'config/crd/trellis.dev_widgets.yaml',
        'docs/crds.md',
      ]);
      expect(readdirSync(join(dir, 'config/crd')).sort()).toEqual(['README', 'trellis.dev_widgets.yaml']);
      expect(readFileSync(join(dir, 'docs/crds.md'), 'utf8')).toBe('# docs\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
