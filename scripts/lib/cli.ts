import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ParseArgsConfig, parseArgs } from 'node:util';

/**
 * The one shape of every command's command line: `node:util` `parseArgs` in strict mode, `-h`/`--help` printing
 * the command's usage text (exit 0), and any unknown option, missing value or unexpected argument refused with a
 * one-line error that points at `--help` (exit 2). Written here once so the commands cannot drift apart.
 * Hand-written rather than a CLI library (commander, yargs): parseArgs is in Node and this is all the commands need.
 */
export interface Command<T extends ParseArgsConfig = ParseArgsConfig> {
  /** Prefix of the command's messages, e.g. `rebuild`. */
  name: string;
  /** How an operator asks for the usage, e.g. `npm run rebuild -- --help`; every argument error names it. */
  helpCommand: string;
  /** The `--help` text: what it does, its options with defaults, its target and what it writes. */
  usage: string;
  /** The parseArgs config (options, allowPositionals); `help` is one of its options. */
  config: T;
}

/** The `--help` option every command declares. */
export const HELP_OPTION = { type: 'boolean', short: 'h', default: false } as const;

/** Declares a command; typed so that the parsed values of `parseCommandLine` keep each option's type. */
export function command<T extends ParseArgsConfig & { options: { help: typeof HELP_OPTION } }>(
  spec: Command<T>,
): Command<T> {
  return spec;
}

/** Prints `name: message` and where to read the usage, and sets exit code 2 (bad arguments). */
export function usageError(cmd: Pick<Command, 'name' | 'helpCommand'>, message: string): void {
  console.error(`${cmd.name}: ${message}\nSee: ${cmd.helpCommand}`);
  process.exitCode = 2;
}

/**
 * Parses `argv` by the command's config. Returns the parsed values and positionals, or undefined when the command
 * should stop: `--help` was given (usage printed, exit code 0) or the arguments are wrong (error printed, exit code 2).
 */
export function parseCommandLine<T extends ParseArgsConfig>(
  cmd: Command<T>,
  argv: string[] = process.argv.slice(2),
): ReturnType<typeof parseArgs<T>> | undefined {
  let parsed: ReturnType<typeof parseArgs<T>>;
  try {
    parsed = parseArgs({ ...cmd.config, args: argv, strict: true }) as ReturnType<typeof parseArgs<T>>;
  } catch (error) {
    usageError(cmd, (error as Error).message);
    return undefined;
  }
  if ((parsed.values as { help?: boolean }).help) {
    console.log(cmd.usage);
    process.exitCode = 0;
    return undefined;
  }
  return parsed;
}

/** Whether the module at `moduleUrl` (its `import.meta.url`) is the program being run, not an import (e.g. by a test). */
export function isMain(moduleUrl: string): boolean {
  return Boolean(process.argv[1]) && resolve(process.argv[1]) === fileURLToPath(moduleUrl);
}
