// Owns how a command-line entry point ends on an error: an expected one (bad configuration, a service
// that does not answer) is one line on stderr, `<command>: <message>`; anything else keeps its stack.
import { ConfigError } from '../../src/platform/config';

/** An expected failure of a command, reported as its message alone. */
export class CommandError extends Error {}

type ErrorClass = abstract new (...args: never[]) => Error;

/** Runs a command's `main`, ending the process with `exitCode` and one line if it fails as expected. */
export function runCommand(
  command: string,
  main: () => Promise<void>,
  { expected = [] as ErrorClass[], exitCode = 1 } = {},
): void {
  main().catch((error: unknown) => {
    const known = [ConfigError, CommandError, ...expected].some((kind) => error instanceof kind);
    const text = known
      ? (error as Error).message.replaceAll('\n', '; ')
      : ((error as Error).stack ?? String(error));
    process.stderr.write(`${command}: ${text}\n`);
    process.exit(exitCode);
  });
}
