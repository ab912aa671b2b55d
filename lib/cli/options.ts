import { InvalidArgumentError, Option } from 'commander';
import { configFile, follows, NAME_RULES } from '../contract';

/**
 * Options more than one command takes, defined once: the same flag, the same help, the same check everywhere.
 */

/** `--env <name>`: the environment, `config/<name>.json`. Required; a malformed name is a usage error. */
export function envOption(): Option {
  return new Option('--env <name>', `environment (${configFile('<name>')})`)
    .makeOptionMandatory()
    .argParser((value: string) => {
      if (!follows(NAME_RULES.environmentName, value)) {
        throw new InvalidArgumentError(`expected ${NAME_RULES.environmentName.description}.`);
      }
      return value;
    });
}

/** `--json`: the result as JSON on stdout; progress and messages go to stderr. */
export function jsonOption(): Option {
  return new Option('--json', 'print the result as JSON on stdout (messages and progress go to stderr)');
}

/** Where a command writes: its result, lines for people, and progress. */
export interface CommandOutput {
  /** Lines for people: stdout, or stderr when stdout carries the JSON result. */
  readonly say: (line: string) => void;
  /** Progress, warnings and follow-up hints: always stderr. */
  readonly note: (line: string) => void;
  /** The command's result: one JSON document on stdout with --json, nothing otherwise. */
  readonly result: (value: unknown) => void;
}

export function commandOutput(
  json: boolean,
  streams: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream } = process,
): CommandOutput {
  const line = (stream: NodeJS.WritableStream) => (text: string) => void stream.write(`${text}\n`);
  return {
    say: line(json ? streams.stderr : streams.stdout),
    note: line(streams.stderr),
    result: (value) => {
      if (json) streams.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    },
  };
}

/**
 * A thing name on the command line, checked by the one rule every layer uses (lib/contract): a name `enroll` would
 * refuse is a usage error in every command, not a thing that "would land" somewhere.
 */
export function thingNameArgument(value: string): string {
  if (!follows(NAME_RULES.thingName, value)) {
    throw new InvalidArgumentError(`expected ${NAME_RULES.thingName.description}.`);
  }
  return value;
}

/** A repeatable or variadic `--thing`: each name checked, in the order given. */
export function thingNamesArgument(value: string, previous: readonly string[] = []): string[] {
  return [...previous, thingNameArgument(value)];
}

/** A whole number of at least `min` (`--count abc` is a usage error that says what is valid, never NaN). */
export function integerArgument(min: number): (value: string) => number {
  return (value: string) => {
    const number = /^\d+$/.test(value) ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(number) || number < min) {
      throw new InvalidArgumentError(`expected a whole number of at least ${min}.`);
    }
    return number;
  };
}
