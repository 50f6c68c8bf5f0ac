import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';

export interface FileWatch {
  stop: () => void;
}

/** A digest of the files' contents, to compare against later. */
export const digestFiles = async (paths: string[]) => {
  const hash = createHash('sha256');
  for (const p of paths) hash.update(await readFile(p)).update('\0');
  return hash.digest('hex');
};

/**
 * Calls `onChange` when the content of any of `paths` changes. Polls the
 * content rather than using fs.watch: kubelet updates a mounted Secret or
 * ConfigMap by swapping a `..data` symlink, which inotify on the file misses.
 * A read error (a swap in progress, a file briefly absent) waits for the next tick.
 * `baseline`: the digest taken before the caller loaded the files, so a change
 * made while it was loading is not missed (at worst it reloads once more).
 */
export function watchFiles(
  paths: string[],
  intervalMs: number,
  onChange: () => Promise<void> | void,
  onError: (err: unknown) => void,
  baseline?: string,
): FileWatch {
  let last = baseline;
  let busy = false;
  const tick = async () => {
    if (busy) return;
    busy = true;
    try {
      const now = await digestFiles(paths);
      const changed = last !== undefined && now !== last;
      // Recorded first: a change that fails to load is reported once, not on every tick.
      last = now;
      if (changed) await onChange();
    } catch (err) {
      onError(err);
    } finally {
      busy = false;
    }
  };
  void tick();
  const timer = setInterval(() => void tick(), intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
