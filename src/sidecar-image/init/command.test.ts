import { describe, expect, it } from 'vitest';
import { CommandError, runCommand } from './command.js';

const node = process.execPath;

describe('runCommand', () => {
  it('feeds stdin and returns what the command printed', async () => {
    const script = 'process.stdin.pipe(process.stdout); console.error("note")';
    await expect(runCommand(node, ['-e', script], 'rules\n')).resolves.toEqual({
      stdout: 'rules\n',
      stderr: 'note\n',
    });
  });

  it('rejects with the command line, the exit code and what it wrote to stderr', async () => {
    const err = await runCommand(node, [
      '-e',
      'console.error("Chain does not exist"); process.exit(2)',
    ]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommandError);
    expect(err).toMatchObject({ exitCode: 2, reason: 'Chain does not exist' });
    expect((err as CommandError).command).toContain(' -e ');
    expect((err as CommandError).message).toMatch(/failed \(exit 2\): Chain does not exist$/);
  });

  it('rejects when the command cannot be started at all', async () => {
    await expect(runCommand('trellis-no-such-command', [])).rejects.toMatchObject({
      command: 'trellis-no-such-command',
      exitCode: null,
      reason: expect.stringContaining('ENOENT'),
    });
  });

  it('survives a command that exits without reading its input', async () => {
    await expect(runCommand(node, ['-e', 'process.exit(3)'], 'x'.repeat(1 << 20))).rejects.toMatchObject({
      exitCode: 3,
      reason: 'no output',
    });
  });
});
