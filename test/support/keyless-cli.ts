import * as os from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT } from './cdk-app';
import { runProcess, type ProcessResult } from './run-process';

/**
 * The operator CLI as a process, the way an operator runs it: `bin/keyless.js` (what `npx keyless` starts), no
 * TTY, cwd the repository, and an environment built here rather than inherited, so what the test machine happens
 * to have (an AWS profile, instance metadata, AWS_* or KEYLESS_* variables) never reaches the command.
 */
export const KEYLESS_BIN = path.join(REPO_ROOT, 'bin', 'keyless.js');

/** Access keys the local AWS stand-ins accept; they open nothing anywhere else. */
export const LOCAL_AWS_CREDENTIALS = {
  AWS_ACCESS_KEY_ID: 'AKIDLOCALTEST',
  AWS_SECRET_ACCESS_KEY: 'local-test',
} as const;

export interface CliProcessOptions {
  /** Variables over the base environment (see {@link cliEnv}); a value of `undefined` removes one. */
  readonly env?: NodeJS.ProcessEnv;
  /** The process's HOME. @default the test's HOME */
  readonly home?: string;
  /**
   * Let Node print its process warnings — the AWS SDK's Node-version notice is one; off by default because it
   * is not the command's output.
   * @default false
   */
  readonly nodeWarnings?: boolean;
  readonly input?: string;
  /** Upper bound, after which the process group is killed. @default 120000 */
  readonly timeoutMs?: number;
}

/**
 * The one environment block every CLI process starts from: PATH and HOME; the AWS SDK kept off the test machine's
 * profile files and instance metadata (an empty file, not a missing one: the SDK reads it and finds no profile);
 * Node's warnings off unless asked for. Credentials and endpoints come only from `options.env`
 * (see {@link localAwsEnv}).
 */
export function cliEnv(options: CliProcessOptions = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: options.home ?? process.env.HOME,
    AWS_CONFIG_FILE: os.devNull,
    AWS_SHARED_CREDENTIALS_FILE: os.devNull,
    AWS_EC2_METADATA_DISABLED: 'true',
    ...(options.nodeWarnings ? {} : { NODE_NO_WARNINGS: '1' }),
    ...options.env,
  };
  return Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined));
}

/**
 * The variables that point the AWS SDK in a child process at one local stand-in: test credentials, and
 * AWS_ENDPOINT_URL_<SERVICE> for each service (`STS`, `CLOUDFORMATION`, `LAMBDA`, `IOT`, …).
 */
export function localAwsEnv(url: string, services: readonly string[]): Record<string, string> {
  return {
    ...LOCAL_AWS_CREDENTIALS,
    ...Object.fromEntries(services.map((service) => [`AWS_ENDPOINT_URL_${service}`, url])),
  };
}

/** Runs `keyless <args>` to completion and returns its exit status and output. */
export function runKeyless(args: readonly string[], options: CliProcessOptions = {}): Promise<ProcessResult> {
  return runProcess(process.execPath, [KEYLESS_BIN, ...args], launchOptions(options));
}

/** Runs another TypeScript entry point of the repository (`scripts/…/main.ts`) the same way, through ts-node. */
export function runTsProgram(
  script: string,
  args: readonly string[],
  options: CliProcessOptions = {},
): Promise<ProcessResult> {
  return runProcess(
    path.join(REPO_ROOT, 'node_modules', '.bin', 'ts-node'),
    ['--swc', path.resolve(REPO_ROOT, script), ...args],
    launchOptions(options),
  );
}

function launchOptions(options: CliProcessOptions) {
  return {
    cwd: REPO_ROOT,
    env: cliEnv(options),
    input: options.input,
    timeoutMs: options.timeoutMs ?? 120_000,
  };
}
