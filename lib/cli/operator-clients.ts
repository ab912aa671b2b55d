import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { loadEnvironmentConfig, type KeylessConfig } from '../config';
import { RemoteServiceError } from './exit-codes';
import { commandOutput, envOption, jsonOption } from './options';
import type { SoracomAuthKey, SoracomSessionIo } from './soracom-credentials';

/**
 * What the operator commands share to reach AWS and SORACOM with the operator's own credentials: the SDK client
 * settings, the check that those credentials are the environment's account and region, plain sentences for the
 * SDK's credential errors, the SORACOM register-command builder and the auth key prompt.
 */

/**
 * The SDK client settings of every CLI command that acts with the operator's credentials: adaptive retry (the
 * client slows itself down on throttling instead of failing), and the operator's region (AWS_REGION,
 * AWS_DEFAULT_REGION) when set, so a shell pointed at the wrong region is reported by the account check instead
 * of silently corrected; otherwise the environment's. Endpoints follow the SDK's `AWS_ENDPOINT_URL_<SERVICE>`.
 */
export function operatorClientConfig(config: KeylessConfig, env: NodeJS.ProcessEnv) {
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION || config.region;
  return { region, retryMode: 'adaptive', maxAttempts: 8 } as const;
}

/** Turns SDK errors about the caller's own credentials into one plain sentence; others pass through. */
export function describeAwsError(error: unknown, config: KeylessConfig): Error {
  const name = (error as { name?: string } | undefined)?.name ?? '';
  const message = error instanceof Error ? error.message : String(error);
  if (name === 'CredentialsProviderError' || /Could not load credentials/.test(message)) {
    return new RemoteServiceError(
      `no AWS credentials found for account ${config.account}: set AWS_PROFILE (or run \`aws sso login\` / \`aws configure\`) and try again`,
    );
  }
  if (['ExpiredToken', 'ExpiredTokenException', 'RequestExpired'].includes(name)) {
    return new RemoteServiceError(
      `the AWS credentials have expired: refresh them (e.g. \`aws sso login\`) and try again`,
    );
  }
  if (['InvalidClientTokenId', 'UnrecognizedClientException', 'SignatureDoesNotMatch'].includes(name)) {
    return new RemoteServiceError(
      `the AWS credentials were rejected (${name}): check AWS_PROFILE or the access key in use`,
    );
  }
  return error instanceof Error ? error : new Error(message);
}

/**
 * Refuses to read stacks with credentials for another account or a client in another region than the
 * environment's config: outputs from the wrong place would make bundles that point at nothing.
 */
export async function assertCallerMatches(
  clients: { readonly sts: STSClient },
  config: KeylessConfig,
): Promise<void> {
  const region = await clients.sts.config.region();
  if (region !== config.region) {
    throw new RemoteServiceError(
      `the AWS region in use is ${region} but environment ${config.envName} (${config.configFile}) is in ${config.region}: ` +
        `unset AWS_REGION/AWS_DEFAULT_REGION or set it to ${config.region}`,
    );
  }
  let identity;
  try {
    identity = await clients.sts.send(new GetCallerIdentityCommand({}));
  } catch (error) {
    throw describeAwsError(error, config);
  }
  if (identity.Account !== config.account) {
    throw new RemoteServiceError(
      `the AWS credentials in use are for account ${identity.Account ?? '(unknown)'} (${identity.Arn ?? 'unknown principal'}) ` +
        `but environment ${config.envName} (${config.configFile}) deploys to account ${config.account}: use a profile for ${config.account}`,
    );
  }
}

/**
 * What a `keyless soracom register-*-credentials` command talks to; tests pass mocked AWS clients, a fake prompt
 * and a fast sleep.
 */
export interface SoracomRegisterIo extends SoracomSessionIo {
  readonly cloudFormation: CloudFormationClient;
  /** User modes: the key rotation function that puts the signer's or publisher's key into SORACOM. */
  readonly lambda: LambdaClient;
  /** Who the AWS credentials belong to: they must be the environment's account. */
  readonly sts: STSClient;
  /** The result and the remaining console step (stdout). */
  readonly out: (line: string) => void;
}

/**
 * The `keyless soracom` command group: registered by whichever SORACOM command registers first (Krypton, Funnel,
 * new-external-id) and found by the others, since commander refuses two commands with one name.
 */
export function registerSoracomGroup(program: Command): Command {
  return (
    program.commands.find((c) => c.name() === 'soracom') ??
    program.command('soracom').description('SORACOM-side setup for the Krypton and Funnel flows')
  );
}

/**
 * Registers one `keyless soracom register-*-credentials --env <env> [--json]` command: the SDK clients (endpoints
 * follow AWS_ENDPOINT_URL_CLOUDFORMATION / _LAMBDA / _STS, which the SDK reads), the auth key prompt, and the
 * result. Names and ids only: no access key, auth key or external id ever reaches this process's output.
 */
export function registerSoracomCredentialsCommand<R extends object>(
  program: Command,
  name: string,
  description: string,
  register: (config: KeylessConfig, io: SoracomRegisterIo) => Promise<R>,
): void {
  registerSoracomGroup(program)
    .command(name)
    .description(description)
    .addOption(envOption())
    .addOption(jsonOption())
    .action(async (options: { env: string; json?: boolean }) => {
      const output = commandOutput(Boolean(options.json));
      const config = loadEnvironmentConfig(options.env);
      const clientConfig = { region: config.region };
      const result = await register(config, {
        cloudFormation: new CloudFormationClient(clientConfig),
        lambda: new LambdaClient(clientConfig),
        sts: new STSClient(clientConfig),
        env: process.env,
        askAuthKey: terminalAuthKeyPrompt(),
        out: output.say,
        note: output.note,
      });
      output.result({ env: config.envName, ...result });
    });
}

/** Asks on the terminal; the auth key is read with echo off. */
export function terminalAuthKeyPrompt(
  input: NodeJS.ReadStream = process.stdin,
  output: NodeJS.WriteStream = process.stderr,
): (() => Promise<SoracomAuthKey>) | undefined {
  if (!input.isTTY || typeof input.setRawMode !== 'function') return undefined;
  return async () => {
    const authKeyId = await askLine('SORACOM auth key id: ', input, output);
    const authKey = await askHidden('SORACOM auth key (not shown): ', input, output);
    return { authKeyId: authKeyId.trim(), authKey };
  };
}

function askLine(question: string, input: NodeJS.ReadStream, output: NodeJS.WriteStream): Promise<string> {
  const rl = createInterface({ input, output, terminal: true });
  return new Promise((resolve) =>
    rl.question(question, (answer) => {
      rl.close();
      resolve(answer);
    }),
  );
}

function askHidden(question: string, input: NodeJS.ReadStream, output: NodeJS.WriteStream): Promise<string> {
  output.write(question);
  return new Promise((resolve, reject) => {
    let value = '';
    const finish = (): void => {
      input.off('data', onData);
      input.setRawMode(false);
      input.pause();
      output.write('\n');
    };
    const onData = (chunk: Buffer | string): void => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') {
          finish();
          resolve(value);
          return;
        }
        if (ch === '\u0003') {
          finish();
          reject(new Error('cancelled'));
          return;
        }
        value = ch === '\u007f' || ch === '\b' ? value.slice(0, -1) : value + ch;
      }
    };
    input.setRawMode(true);
    input.resume();
    input.on('data', onData);
  });
}
