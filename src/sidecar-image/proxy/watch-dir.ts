import { type FSWatcher, watch } from 'node:fs';

export interface DirWatch {
  close(): void;
}

/**
 * Calls `onChange` after anything in `dir` changes. kubelet updates a mounted
 * ConfigMap or Secret by swapping the `..data` symlink, which fs.watch sees as
 * a rename in the directory; events come in bursts, hence the debounce. A slow
 * poll backs fs.watch up because inotify can miss a directory that is replaced
 * or not yet mounted. `onChange` must be idempotent (it re-reads and compares).
 */
export function watchDir(
  dir: string,
  onChange: () => void,
  opts: { debounceMs?: number; pollMs?: number } = {},
): DirWatch {
  const debounceMs = opts.debounceMs ?? 100;
  const pollMs = opts.pollMs ?? 5_000;
  let timer: NodeJS.Timeout | undefined;
  let watcher: FSWatcher | undefined;
  let closed = false;

  const fire = () => {
    if (closed) return;
    clearTimeout(timer);
    timer = setTimeout(onChange, debounceMs);
    timer.unref();
  };
  const startWatcher = () => {
    if (watcher || closed) return;
    try {
      watcher = watch(dir, { persistent: false }, fire);
      watcher.on('error', () => {
        watcher?.close();
        watcher = undefined;
      });
    } catch {
      // The directory may not exist yet; the poll retries.
      watcher = undefined;
    }
  };
  startWatcher();
  const poll = setInterval(() => {
    startWatcher();
    onChange();
  }, pollMs);
  poll.unref();

  return {
    close() {
      closed = true;
      clearTimeout(timer);
      clearInterval(poll);
      watcher?.close();
    },
  };
}
