import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { ensureBinaries } from '../../../devcluster/build.js';

/**
 * kubectl of the pinned release (the cluster's own binaries, not whatever is
 * on PATH), against a kubeconfig. Resolves with stdout; rejects with the
 * command and its stderr. Bounded by `timeoutMs`.
 */
export function kubectl(
  kubeconfig: string,
  args: string[],
  opts: { stdin?: string; timeoutMs?: number } = {},
): Promise<string> {
  const bin = join(ensureBinaries(() => undefined).binDir, 'kubectl');
  return new Promise((resolve, reject) => {
    const child = execFile(
      bin,
      ['--kubeconfig', kubeconfig, ...args],
      { timeout: opts.timeoutMs ?? 120_000, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) =>
        err
          ? reject(new Error(`kubectl ${args.join(' ')}: ${stderr.trim() || err.message}`))
          : resolve(stdout),
    );
    child.stdin?.end(opts.stdin ?? '');
  });
}
