import { CommanderError } from 'commander';
import { ConfigError, UnknownEnvironmentError } from '../config';
import { UnrecordedPlacementError } from '../fleet/placement';
import { SoracomApiError, SoracomAuthError } from '../soracom/api-client';

/**
 * What `keyless` exits with (docs/cli.md): the one place that turns an error into an exit code, so scripts can
 * tell "fix the command line" from "fix the config" from "AWS or SORACOM said no" from "some devices failed".
 */
export const EXIT_CODES = {
  /** Done. */
  ok: 0,
  /** An unexpected error: a bug in keyless (KEYLESS_DEBUG=1 shows the stack trace). */
  bug: 1,
  /** The command line is wrong: unknown option, missing argument, an invalid value. */
  usage: 2,
  /** The environment's config (or a file it names, such as a CSR or the shard lock) is wrong or incomplete. */
  configuration: 3,
  /** AWS or SORACOM refused or failed, or a stack the command needs is not deployed. */
  remote: 4,
  /** The command ran, but some devices failed; each failure is printed and the others were done. */
  partial: 5,
  /** `keyless verify`: AWS answered, and the deployment is not what it must be (each failed check is printed). */
  verification: 6,
} as const;

export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];

/** The command line asks for something impossible (exit 2). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** AWS or SORACOM answered with a problem, or a stack the command needs is missing or unusable (exit 4). */
export class RemoteServiceError extends Error {
  override readonly name = 'RemoteServiceError';
}

/** Some devices failed, the others were done (exit 5). */
export class PartialFailureError extends Error {
  override readonly name = 'PartialFailureError';
}

/** `keyless verify` found the deployment wrong: every failed check was printed (exit 6). */
export class VerificationFailedError extends Error {
  override readonly name = 'VerificationFailedError';
}

/** Errors of the network under an SDK or fetch call. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'ETIMEDOUT', 'EAI_AGAIN', 'EPIPE']);

/** An error the AWS SDK raised: a service exception (it carries `$metadata`) or a credentials problem. */
function isAwsSdkError(error: object): boolean {
  const { name } = error as { name?: unknown };
  return '$metadata' in error || name === 'CredentialsProviderError' || name === 'TimeoutError';
}

/** The exit code of an error, judged by it and the errors it was caused by. */
export function exitCodeFor(error: unknown): ExitCode {
  for (let cause = error, depth = 0; cause && typeof cause === 'object' && depth < 10; depth++) {
    if (cause instanceof CommanderError) {
      // Help and --version end the program through commander too: they are not failures.
      return ['commander.helpDisplayed', 'commander.version'].includes(cause.code)
        ? EXIT_CODES.ok
        : EXIT_CODES.usage;
    }
    if (cause instanceof UsageError) return EXIT_CODES.usage;
    if (cause instanceof ConfigError || cause instanceof UnrecordedPlacementError) {
      return EXIT_CODES.configuration;
    }
    if (cause instanceof PartialFailureError) return EXIT_CODES.partial;
    if (cause instanceof VerificationFailedError) return EXIT_CODES.verification;
    if (
      cause instanceof RemoteServiceError ||
      cause instanceof SoracomApiError ||
      cause instanceof SoracomAuthError ||
      isAwsSdkError(cause) ||
      NETWORK_CODES.has(String((cause as { code?: unknown }).code))
    ) {
      return EXIT_CODES.remote;
    }
    cause = (cause as { cause?: unknown }).cause;
  }
  return EXIT_CODES.bug;
}

/**
 * What the operator reads on stderr (docs/cli.md, "Exit codes"): every line starts with `keyless: `. One line for
 * the cause; a config that failed validation says which environment and then lists every problem, one line each;
 * a stack trace only with `debug`. Nothing for help and --version, which are not failures.
 */
export function describeFailure(error: unknown, debug: boolean): string {
  if (error instanceof CommanderError) {
    return exitCodeFor(error) === EXIT_CODES.ok ? '' : keylessLines([commanderMessage(error)]);
  }
  if (debug) return `${error instanceof Error ? error.stack : String(error)}\n`;
  if (error instanceof UnknownEnvironmentError) return keylessLines(error.problems);
  if (error instanceof ConfigError && error.listed) {
    const which = error.envName === undefined ? '' : ` for environment ${JSON.stringify(error.envName)}`;
    return keylessLines([
      `invalid configuration${which}:`,
      ...error.problems.map((problem) => `  ${problem}`),
    ]);
  }
  const message = error instanceof Error ? error.message : String(error);
  if (exitCodeFor(error) === EXIT_CODES.bug) {
    return keylessLines([
      message,
      'this is unexpected: run again with KEYLESS_DEBUG=1 for the stack trace, and report it',
    ]);
  }
  return keylessLines([message]);
}

/**
 * Commander's own message without its `error: ` prefix, on one line (a suggestion such as
 * `(Did you mean --json?)` comes on a line of its own).
 */
export function commanderMessage(error: CommanderError): string {
  return error.message
    .replace(/^error: /, '')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .join(' ');
}

/** Each line of each message as a `keyless: ` line: a message with a line break still reads as ours. */
function keylessLines(messages: readonly string[]): string {
  return messages
    .flatMap((message) => message.split('\n'))
    .map((line) => `keyless: ${line}\n`)
    .join('');
}
