import { execFileSync, spawnSync } from 'node:child_process';
import { ensureBinaries } from './build.js';

/** Commands the project runs, and the Debian package each comes from. */
export const requiredCommands: Record<string, string> = {
  openssl: 'openssl',
  iptables: 'iptables',
  'iptables-restore': 'iptables',
  'iptables-save': 'iptables',
  ip: 'iproute2',
  setpriv: 'util-linux',
};

const has = (command: string) => spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;

/** The Debian packages that provide the commands this machine lacks. */
export function missingPackages(present: (command: string) => boolean = has): string[] {
  const missing = Object.entries(requiredCommands).filter(([command]) => !present(command));
  return [...new Set(missing.map(([, pkg]) => pkg))].sort();
}

function installPackages(packages: string[]): void {
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

if (import.meta.url === `file://${process.argv[1]}`) {
  installPackages(missingPackages());
  const result = ensureBinaries();
  console.log(
    `control-plane binaries ${result.built ? `built in ${result.seconds.toFixed(0)}s` : 'found in the cache'}: ${result.binDir}`,
  );
}
