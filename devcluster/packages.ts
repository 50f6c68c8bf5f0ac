import { execFileSync, spawnSync } from 'node:child_process';

/** Commands a script runs, each with the Debian package it comes from. */
export type CommandPackages = Record<string, string>;

const has = (command: string) => spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;

/** The Debian packages that provide the commands this machine lacks. */
export function missingPackages(
  commands: CommandPackages,
  present: (command: string) => boolean = has,
): string[] {
  const missing = Object.entries(commands).filter(([command]) => !present(command));
  return [...new Set(missing.map(([, pkg]) => pkg))].sort();
}

/** Installs the packages of whichever `commands` are missing, with apt-get (as root), or says what to install. */
export function ensureCommands(commands: CommandPackages): void {
  const packages = missingPackages(commands);
  if (packages.length === 0) return;
  if (process.getuid?.() !== 0 || !has('apt-get')) {
    throw new Error(
      `missing packages: ${packages.join(' ')}; install them (apt-get install ${packages.join(' ')}) and rerun`,
    );
  }
  console.log(`installing ${packages.join(' ')} with apt-get`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { env, stdio: 'inherit' });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], {
    env,
    stdio: 'inherit',
  });
}
