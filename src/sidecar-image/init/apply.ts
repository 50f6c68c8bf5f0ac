import { CommandError, type RunCommand, runCommand } from './command.js';
import { planRestore } from './plan.js';
import type { NatRules } from './rules.js';

/**
 * iptables-restore names the input line it choked on; quoting that line
 * makes the reason readable without the whole input at hand.
 */
function withFailingLine(err: CommandError, input: string): CommandError {
  const lineNumber = Number(/Error occurred at line: (\d+)/.exec(err.reason)?.[1]);
  const line = input.split('\n')[lineNumber - 1];
  const reason = err.reason
    .split('\n')
    .filter((l) => !l.startsWith('Try `'))
    .join('\n');
  return new CommandError(
    err.command,
    err.exitCode,
    line ? `${reason}\n  line ${lineNumber}: ${line}` : reason,
  );
}

/**
 * Brings the nat table to `desired` in one iptables-restore transaction:
 * either all of it applies or none of it does. Returns the input it fed in.
 */
export async function applyRules(desired: NatRules, run: RunCommand = runCommand): Promise<string> {
  const saved = await run('iptables-save', ['-t', 'nat']);
  const input = planRestore(saved.stdout, desired);
  try {
    await run('iptables-restore', ['--noflush'], input);
  } catch (err) {
    throw err instanceof CommandError ? withFailingLine(err, input) : err;
  }
  return input;
}
