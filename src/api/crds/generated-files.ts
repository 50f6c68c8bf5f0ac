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
