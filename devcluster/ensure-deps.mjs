// Runs before `npm run demo` on a fresh clone, when nothing is installed yet: plain Node, no
// dependencies, so it can run before `npm ci` has. Installs the locked packages when
// node_modules is missing or older than package-lock.json; otherwise does nothing.
// `--check` only prints what it would do ("install" or "up to date").
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';

const root = process.cwd();

/** npm writes node_modules/.package-lock.json at every install; its age says whether the lock moved since. */
function needsInstall(dir) {
  const mtime = (file) => {
    try {
      return statSync(join(dir, file)).mtimeMs;
    } catch {
      return undefined;
    }
  };
  const installed = mtime('node_modules/.package-lock.json');
  const lock = mtime('package-lock.json');
  return installed === undefined || (lock !== undefined && lock > installed);
}

const install = needsInstall(root);
if (process.argv.includes('--check')) {
  console.log(install ? 'install' : 'up to date');
} else if (install) {
  console.log('[demo] installing the locked npm packages first (npm ci)');
  execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
}
