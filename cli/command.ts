// What every `joinery <command>` module exports: a Command. The CLI only parses arguments
// and prints; the work lives in compiler/, reconciler/ and core/, imported lazily inside
// run() so that `joinery --help` and unrelated commands do not pay for it.

export const EXIT_OK = 0;
/** The user's input is wrong (a policy error, a stale generated/, a refused commit). */
export const EXIT_USER_ERROR = 1;
/** The command line itself is wrong (unknown flag, missing argument). */
export const EXIT_USAGE = 2;

export interface CommandContext {
  /** The directory the command was run from. */
  cwd: string;
  stdout(text: string): void;
  stderr(text: string): void;
  /** Every registered command, loaded (for `joinery completion`); main() provides it. */
  commands?: () => Promise<Command[]>;
}

export interface Command {
  name: string;
  /** One line for `joinery --help`. */
  summary: string;
  /** The full help text for `joinery <name> --help`: usage line, description, options. */
  usage: string;
  /** Runs with the arguments after the command name; resolves to the exit code. */
  run(args: string[], context: CommandContext): Promise<number>;
}

/** Thrown for a malformed command line: printed with the command's usage, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export function processContext(): CommandContext {
  return {
    cwd: process.cwd(),
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
  };
}
