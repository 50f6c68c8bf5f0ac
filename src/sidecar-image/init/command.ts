import { spawn } from 'node:child_process';

/** A command that could not run, or exited non-zero: what was run, and what it said. */
export class CommandError extends Error {
  constructor(
    readonly command: string,
    readonly exitCode: number | null,
    readonly reason: string,
  ) {
    super(`${command} failed${exitCode === null ? '' : ` (exit ${exitCode})`}: ${reason}`);
    this.name = 'CommandError';
  }
}

export interface CommandResult {
  stdout: string;
  stderr: string;
}

/** Runs a command to completion, feeding it `input` on stdin. Injected so tests can stand in for iptables. */
export type RunCommand = (command: string, args: string[], input?: string) => Promise<CommandResult>;

// iptables answers in milliseconds; a minute means it is stuck (e.g. on the xtables lock).
const timeoutMs = 60_000;

export const runCommand: RunCommand = (command, args, input = '') =>
  new Promise((resolve, reject) => {
    const line = [command, ...args].join(' ');
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], timeout: timeoutMs });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    // A command that exits before reading its input closes the pipe; its exit status tells why.
    child.stdin.on('error', () => {});
    child.on('error', (err) => reject(new CommandError(line, null, err.message)));
    child.on('close', (code, signal) => {
      if (code === 0) resolve({ stdout, stderr });
      else
        reject(new CommandError(line, code, stderr.trim() || (signal ? `killed by ${signal}` : 'no output')));
    });
    child.stdin.end(input);
  });
