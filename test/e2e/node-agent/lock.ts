import { readFileSync, rmSync, writeFileSync } from 'node:fs';

/**
 * One agent per machine: the agent's network (bridge `trb-nagent`, subnet
 * 198.18.0.0/24) is a single thing, and a second agent would sweep the
 * first one's away as a crashed run's leftovers. A lock file holding the
 * owner's PID; a stale one (its process gone) is taken over.
 */
export function takeLock(path: string): () => void {
  try {
    writeFileSync(path, String(process.pid), { flag: 'wx' });
  } catch {
    const owner = Number(readFileSync(path, 'utf8'));
    if (owner !== process.pid && alive(owner)) {
      throw new Error(`another node agent (pid ${owner}) is running on this machine (lock ${path})`);
    }
    writeFileSync(path, String(process.pid));
  }
  return () => rmSync(path, { force: true });
}

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
