import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const script = fileURLToPath(new URL('./ensure-deps.mjs', import.meta.url));
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A checkout with a lock written at `lockAt` and, when given, an install finished at `installedAt`. */
function checkout(lockAt: number, installedAt?: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'trellis-ensure-deps-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'package-lock.json'), '{}');
  utimesSync(join(dir, 'package-lock.json'), lockAt, lockAt);
  if (installedAt !== undefined) {
    mkdirSync(join(dir, 'node_modules'));
    writeFileSync(join(dir, 'node_modules/.package-lock.json'), '{}');
    utimesSync(join(dir, 'node_modules/.package-lock.json'), installedAt, installedAt);
  }
  return dir;
}

const check = (dir: string) =>
  execFileSync(process.execPath, [script, '--check'], { cwd: dir, encoding: 'utf8' }).trim();

describe('ensure-deps (before npm run demo)', () => {
  it('installs on a fresh clone (no node_modules)', () => {
    expect(check(checkout(1_000))).toBe('install');
  });

  it('installs again when the lock is newer than the last install', () => {
    expect(check(checkout(2_000, 1_000))).toBe('install');
  });

  it('does nothing when the install is newer than the lock', () => {
    expect(check(checkout(1_000, 2_000))).toBe('up to date');
  });
});
