import { ensureBinaries } from './build.js';
import { type CommandPackages, ensureCommands } from './packages.js';

/** Commands the tests and the local cluster run, and the Debian package each comes from. */
export const requiredCommands: CommandPackages = {
  openssl: 'openssl',
  iptables: 'iptables',
  'iptables-restore': 'iptables',
  'iptables-save': 'iptables',
  ip: 'iproute2',
  setpriv: 'util-linux',
};

if (import.meta.url === `file://${process.argv[1]}`) {
  ensureCommands(requiredCommands);
  const result = ensureBinaries();
  console.log(
    `control-plane binaries ${result.built ? `built in ${result.seconds.toFixed(0)}s` : 'found in the cache'}: ${result.binDir}`,
  );
}
