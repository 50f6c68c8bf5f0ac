import { chown, mkdir, readdir, readFile, readlink, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { VolumeFile } from './volumes.js';

/**
 * Writes a volume's files the way the kubelet's AtomicWriter does, so a
 * reader never sees half an update: the files go into a fresh timestamped
 * directory, `..data` is swapped to it with one rename, and each top-level
 * name is a symlink through `..data`. Returns false when nothing changed.
 */
export function writeAtomically(
  dir: string,
  files: VolumeFile[],
  owner?: { uid: number; gid: number },
): Promise<boolean> {
  // One write at a time per directory: a resync and an object change can project a volume at
  // once, and two writers racing on `..data_tmp` fail with EEXIST (and fail the pod worker).
  const previous = pending.get(dir) ?? Promise.resolve(false);
  const next = previous.catch(() => false).then(() => writeNow(dir, files, owner));
  pending.set(dir, next);
  const settled = () => {
    if (pending.get(dir) === next) pending.delete(dir);
  };
  next.then(settled, settled);
  return next;
}

const pending = new Map<string, Promise<boolean>>();

async function writeNow(
  dir: string,
  files: VolumeFile[],
  owner?: { uid: number; gid: number },
): Promise<boolean> {
  await mkdir(dir, { recursive: true });
  const current = await readlink(join(dir, '..data')).catch(() => undefined);
  if (current !== undefined && (await sameFiles(join(dir, current), files))) return false;

  const stamp = `..${new Date().toISOString().replace(/[:.]/g, '_')}.${process.hrtime.bigint()}`;
  const staging = join(dir, stamp);
  for (const f of files) {
    const target = join(staging, f.path);
    await mkdir(dirname(target), { recursive: true });
    // The kubelet's default mode is 0644; an explicit mode is the pod's.
    await writeFile(target, f.content, { mode: f.mode ?? 0o644 });
    if (owner) await chown(target, owner.uid, owner.gid);
  }
  await symlink(stamp, join(dir, '..data_tmp'));
  await rename(join(dir, '..data_tmp'), join(dir, '..data'));

  const wanted = new Set(files.map((f) => f.path.split('/')[0] ?? f.path));
  for (const name of wanted) {
    const link = join(dir, name);
    if ((await readlink(link).catch(() => undefined)) !== join('..data', name)) {
      await rm(link, { force: true, recursive: true });
      await symlink(join('..data', name), link);
    }
  }
  for (const name of await readdir(dir)) {
    const stale = name.startsWith('..') ? name !== '..data' && name !== stamp : !wanted.has(name);
    if (stale) await rm(join(dir, name), { force: true, recursive: true });
  }
  return true;
}

async function sameFiles(dir: string, files: VolumeFile[]): Promise<boolean> {
  const existing = await listFiles(dir);
  if (existing.length !== files.length) return false;
  for (const f of files) {
    const content = await readFile(join(dir, f.path)).catch(() => undefined);
    if (!content?.equals(f.content)) return false;
  }
  return true;
}

async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const entries = await readdir(join(dir, prefix), { withFileTypes: true }).catch(() => []);
  const nested = await Promise.all(
    entries.map((e) => (e.isDirectory() ? listFiles(dir, join(prefix, e.name)) : [join(prefix, e.name)])),
  );
  return nested.flat();
}
