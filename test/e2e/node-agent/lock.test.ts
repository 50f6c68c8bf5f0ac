import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { takeLock } from './lock.js';

describe('takeLock', () => {
  const dir = mkdtempSync(join(tmpdir(), 'agent-lock-'));
  const path = join(dir, 'lock');
  afterEach(() => rmSync(path, { force: true }));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('takes a free lock and releases it', () => {
    const release = takeLock(path);
    expect(readFileSync(path, 'utf8')).toBe(String(process.pid));
    release();
    expect(existsSync(path)).toBe(false);
  });

  it('refuses a lock held by a live process', () => {
    writeFileSync(path, '1');
    expect(() => takeLock(path)).toThrow(/another node agent \(pid 1\)/);
  });

  it('takes over a lock whose owner is gone', () => {
    const gone = spawnSync('true').pid;
    writeFileSync(path, String(gone));
    const release = takeLock(path);
    expect(readFileSync(path, 'utf8')).toBe(String(process.pid));
    release();
  });
});
