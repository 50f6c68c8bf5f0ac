import type { Command, Io } from './command.js';
import { injectCommand } from './inject.js';
import { installCommand } from './install.js';

/** Subcommands by name; `install`, `check`, `analyze` and `status` join here as they land. */
export const commands: Record<string, Command> = {
  inject: injectCommand,
  install: installCommand,
};

function help(): string {
  const width = Math.max(...Object.keys(commands).map((n) => n.length));
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return `Usage: trellisctl <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nRun trellisctl <command> --help for its options.\n`;
}

/** Runs one command line; every error becomes a message and an exit code, never a stack trace. */
export async function trellisctl(argv: string[], io: Io): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(help());
    return name === undefined ? 2 : 0;
  }
  const command = commands[name];
  if (!command) {
    io.stderr.write(`trellisctl: unknown command "${name}"\n\n${help()}`);
    return 2;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    io.stderr.write(`trellisctl ${name}: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}
