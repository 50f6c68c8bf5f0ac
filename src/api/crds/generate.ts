import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generatedFiles, writeGeneratedFiles } from './generated-files.js';

/** `npm run generate:crds`: writes config/crd/*.yaml and docs/crds.md from the zod schemas. */
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
for (const path of writeGeneratedFiles(root, generatedFiles())) console.log(`wrote ${path}`);
