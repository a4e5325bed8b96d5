// Owns how a command-line entry point reads its flags and ends on an error: an expected one (bad
// configuration, a service that does not answer) is one line on stderr, `<command>: <message>`, a usage
// error that line and the usage (exit 2); anything else keeps its stack.
import { type ParseArgsConfig, parseArgs } from 'node:util';
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

type FlagOptions = NonNullable<ParseArgsConfig['options']>;

/** Ends a command on a usage error: `<command>: <message>` and the usage on stderr, exit 2. */
export function usageError(command: string, usage: string, message: string): never {
  process.stderr.write(`${command}: ${message}\n${usage}`);
  process.exit(2);
}

/**
 * A command's flags, parsed: an unknown or malformed flag is a usage error, and --help (-h) prints the
 * usage and exits 0.
 */
export function commandFlags<O extends FlagOptions>(command: string, usage: string, options: O) {
  try {
    const { values } = parseArgs({ options: { ...options, help: { type: 'boolean', short: 'h' } } });
    if ((values as { help?: boolean }).help) {
      process.stdout.write(usage);
      process.exit(0);
    }
    return values as ReturnType<typeof parseArgs<{ options: O }>>['values'];
  } catch (error) {
    return usageError(command, usage, (error as Error).message);
  }
}
