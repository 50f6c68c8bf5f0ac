/** The streams a command talks to: the process's in main, buffers in tests. */
export interface Io {
  stdin: NodeJS.ReadableStream;
  stdout: { write: (s: string) => unknown };
  stderr: { write: (s: string) => unknown };
}

/** One `trellisctl` subcommand; it returns the exit code and throws only for usage errors. */
export interface Command {
  summary: string;
  run: (argv: string[], io: Io) => Promise<number>;
}
