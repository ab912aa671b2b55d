import { Command, CommanderError } from 'commander';
import {
  commanderMessage,
  describeFailure,
  EXIT_CODES,
  exitCodeFor,
  UsageError,
  type ExitCode,
} from './exit-codes';
import { buildProgram } from './program';

/** Where a run reports its failure, and whether with a stack trace (KEYLESS_DEBUG). */
export interface RunIo {
  readonly stderr: NodeJS.WritableStream;
  readonly debug: boolean;
}

/**
 * Runs `keyless <args>` and answers the documented exit code (docs/cli.md, "Exit codes"); a failure is written to
 * `io.stderr` as `keyless: …` lines. bin/keyless.ts is this with process.argv; tests run commands in-process.
 */
export async function runKeyless(
  args: readonly string[],
  io: RunIo,
  program: Command = buildProgram(),
): Promise<ExitCode> {
  try {
    await program.parseAsync([...args], { from: 'user' });
    return EXIT_CODES.ok;
  } catch (error) {
    const failure = pointToHelp(error, program, args);
    io.stderr.write(describeFailure(failure, io.debug));
    return exitCodeFor(failure);
  }
}

/**
 * Commander's usage errors, and a command group run without a command, as one line that names the `--help` to
 * read: the help itself is not printed (it would bury the cause).
 */
function pointToHelp(error: unknown, program: Command, args: readonly string[]): unknown {
  if (!(error instanceof CommanderError) || exitCodeFor(error) === EXIT_CODES.ok) return error;
  const command = addressedCommand(program, args);
  const name = commandPath(command);
  const cause =
    error.code === 'commander.help'
      ? `${command === program ? 'name' : `\`${name}\` needs`} a command: ${command.commands.map((c) => c.name()).join(', ')}`
      : commanderMessage(error);
  return new UsageError(`${cause} (see \`${name} --help\`)`, { cause: error });
}

/** The deepest command the words of `args` name (`keyless fleet plan --bogus` → `fleet plan`). */
function addressedCommand(program: Command, args: readonly string[]): Command {
  let command = program;
  for (const word of args.filter((arg) => !arg.startsWith('-'))) {
    const sub = command.commands.find((c) => c.name() === word || c.aliases().includes(word));
    if (!sub) break;
    command = sub;
  }
  return command;
}

function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}
