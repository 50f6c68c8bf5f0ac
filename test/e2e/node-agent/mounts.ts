import { dirname } from 'node:path';

/** One volumeMount made real: the volume's directory (or subPath file) bound onto the mount path. */
export interface Mount {
  source: string;
  target: string;
  readOnly: boolean;
  /** The source is a file (a subPath onto a file). */
  file: boolean;
}

/** The real path of an existing host path, undefined when it does not exist. */
export type Resolve = (path: string) => string | undefined;

export const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

/**
 * The shell a container's process runs first, as root, inside the private
 * mount namespace `ip netns exec` gives it: output to the container's log,
 * then each volume bound onto its mount path, so mount paths are real paths.
 *
 * A mount path that does not exist on the host is made inside an overlay
 * mounted (in that namespace only) on its nearest existing ancestor, upper
 * layer in `scratch`: the host's directories are never written. That
 * ancestor may not be `/` (an overlay there would hide /proc, /dev and the
 * rest) nor hold `scratch`: such a mount path throws.
 */
export function mountPrologue(mounts: Mount[], resolve: Resolve, scratch: string, log: string): string {
  const lines = ['set -e', `exec >>${quote(log)} 2>&1`];
  const missing = mounts.filter((m) => resolve(m.target) === undefined);
  const ancestors = new Set<string>();
  for (const m of missing) {
    let dir = dirname(m.target);
    while (resolve(dir) === undefined) dir = dirname(dir);
    const real = resolve(dir) ?? dir;
    if (real === '/' || `${scratch}/`.startsWith(`${real}/`)) {
      throw new Error(`mount path ${m.target}: its nearest existing ancestor ${real} cannot be overlaid`);
    }
    ancestors.add(real);
  }
  // An overlay on a directory hides everything mounted below it, so only the outermost ones.
  const outermost = [...ancestors].filter(
    (a) => ![...ancestors].some((b) => b !== a && a.startsWith(`${b}/`)),
  );
  outermost.sort().forEach((dir, i) => {
    const upper = `${scratch}/${i}/upper`;
    const work = `${scratch}/${i}/work`;
    lines.push(`mkdir -p ${quote(upper)} ${quote(work)}`);
    lines.push(
      `mount -t overlay overlay -o ${quote(`lowerdir=${dir},upperdir=${upper},workdir=${work}`)} ${quote(dir)}`,
    );
  });
  // Parents before children, so a mount inside another mount's path lands on top.
  for (const m of [...mounts].sort((a, b) => a.target.length - b.target.length)) {
    const target = quote(m.target);
    if (resolve(m.target) === undefined) {
      lines.push(m.file ? `mkdir -p ${quote(dirname(m.target))} && touch ${target}` : `mkdir -p ${target}`);
    }
    lines.push(`mount --bind ${quote(m.source)} ${target}`);
    if (m.readOnly) lines.push(`mount -o remount,bind,ro ${target}`);
  }
  return lines.join('\n');
}
