import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { componentsDir } from './paths.js';

/** The upstream releases the local control plane is built from, as pinned in the wrapper go.mod. */
export interface PinnedVersions {
  kubernetes: string;
  etcd: string;
  certManager: string;
}

const modules: Record<keyof PinnedVersions, string> = {
  kubernetes: 'k8s.io/kubernetes',
  etcd: 'go.etcd.io/etcd/server/v3',
  certManager: 'github.com/cert-manager/cert-manager',
};

/** Reads the pinned versions from go.mod text, so go.mod stays their only source. */
export function parsePinnedVersions(goMod: string): PinnedVersions {
  const find = (module: string): string => {
    const escaped = module.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    const match = new RegExp(`^\\s*(?:require\\s+)?${escaped}\\s+(v\\S+)`, 'm').exec(goMod);
    if (!match?.[1]) throw new Error(`go.mod does not require ${module}`);
    return match[1];
  };
  return {
    kubernetes: find(modules.kubernetes),
    etcd: find(modules.etcd),
    certManager: find(modules.certManager),
  };
}

export function pinnedVersions(): PinnedVersions {
  return parsePinnedVersions(readFileSync(join(componentsDir, 'go.mod'), 'utf8'));
}
