import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { renderDocs } from './docs.js';
import { crds } from './index.js';
import { crdFileName, renderCrd } from './render.js';

/** Every generated file, by path relative to the repository root, with its content. */
export function generatedFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const def of crds) files.set(`config/crd/${crdFileName(def)}`, renderCrd(def));
  files.set('docs/crds.md', renderDocs(crds));
  return files;
}

/** Writes `files` under `root`, removing CRD files a renamed or deleted kind left in config/crd/. */
export function writeGeneratedFiles(root: string, files: Map<string, string>): string[] {
  const crdDir = join(root, 'config/crd');
  mkdirSync(crdDir, { recursive: true });
  for (const name of readdirSync(crdDir)) {
    if (name.endsWith('.yaml') && !files.has(`config/crd/${name}`)) rmSync(join(crdDir, name));
  }
  for (const [path, content] of files) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return [...files.keys()];
}
