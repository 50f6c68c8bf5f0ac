import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { exitCodes } from './run.js';

// The entry point itself: argv in, JSON log lines out, the exit code set. Applying
// real rules needs a network namespace of its own: see test/dataplane/.
const main = fileURLToPath(new URL('./main.ts', import.meta.url));

describe('trellis-init main', () => {
  it('exits 2 on an unknown flag, with the reason as a JSON log line', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', main, '--no-such-flag', 'x'], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.status).toBe(exitCodes.invalidArguments);
    const line = JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '{}');
    expect(line).toMatchObject({
      name: 'trellis-init',
      level: 50,
      msg: 'invalid arguments: unknown flag --no-such-flag',
    });
  });
});
