import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generatedFiles } from './generated-files.js';

/** `npm run generate:crds`: writes config/crd/*.yaml and docs/crds.md from the zod schemas. */
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const files = generatedFiles();

// A CRD that was renamed or removed must not linger in config/crd/.
const crdDir = join(root, 'config/crd');
mkdirSync(crdDir, { recursive: true });
for (const name of readdirSync(crdDir)) {
  if (name.endsWith('.yaml') && !files.has(`config/crd/${name}`)) rmSync(join(crdDir, name));
}
for (const [path, content] of files) {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), content);
  console.log(`wrote ${path}`);
}
