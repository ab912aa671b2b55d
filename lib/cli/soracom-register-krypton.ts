import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { STSClient } from '@aws-sdk/client-sts';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { loadEnvironmentConfig, type KeylessConfig } from '../config';
import type { KryptonConfig } from '../config/sections/krypton';
import { OUTPUTS, PROJECT, stackName } from '../contract';
import {
  checkedSoracomEndpoint,
  SoracomApiError,
  SoracomAuthError,
  SoracomClient,
  soracomEndpoint,
  type SoracomCredential,
} from '../soracom/api-client';
import { assertCallerMatches, describeAwsError } from './bundle/aws';
import { DeployedOutputs } from './deployed-outputs';
import { ConfigurationError, RemoteServiceError, UsageError } from './exit-codes';
import { commandOutput, envOption, jsonOption } from './options';

/** A SORACOM SAM user's (or the root's) auth key: read from the environment or asked for, never from a file. */
export interface SoracomAuthKey {
  readonly authKeyId: string;
  readonly authKey: string;
}

/** What the command talks to; tests pass mocked AWS clients, a fake prompt and a fast sleep. */
export interface RegisterKryptonIo {
  readonly cloudFormation: CloudFormationClient;
  readonly secretsManager: SecretsManagerClient;
  /** Who the AWS credentials belong to: they must be the environment's account. */
  readonly sts: STSClient;
  /** Where SORACOM_AUTH_KEY_ID, SORACOM_AUTH_KEY and SORACOM_API_ENDPOINT are read from. */
  readonly env: NodeJS.ProcessEnv;
  /** Asks for the auth key when the environment has none; undefined when there is no terminal to ask on. */
  readonly askAuthKey?: () => Promise<SoracomAuthKey>;
  /** The result and the remaining console step (stdout). */
  readonly out: (line: string) => void;
  /** Progress such as rate-limit waits (stderr). */
  readonly note: (line: string) => void;
  readonly fetchImpl?: typeof fetch;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Retries of one SORACOM request answered 429. @default 5 */
  readonly maxRetries?: number;
}

export interface RegisterKryptonResult {
  readonly action: 'created' | 'updated';
  readonly credentialId: string;
  readonly type: SoracomCredential['type'];
  readonly endpoint: string;
  readonly identityPoolId: string;
  readonly developerProviderName: string;
}

/**
 * Registers the principal Krypton signs with in the SORACOM credential store: creates the credential
 * (`POST /v1/credentials/{id}`) or, when it exists, replaces it in place (`PUT`) so SIM groups that name it
 * follow without a change. Then prints the one step left in the SORACOM console with the exact values.
 * The access key is only ever sent to SORACOM: it is never printed, logged or put in an error message.
 * Before anything is read or sent: the SORACOM endpoint must be https (loopback http excepted, for local test
 * servers), and the AWS credentials must be the environment's account (as `keyless bundle` checks).
 */
export async function registerKryptonCredentials(
  config: KeylessConfig,
  io: RegisterKryptonIo,
): Promise<RegisterKryptonResult> {
  const krypton = config.krypton;
  if (!krypton) {
    throw new ConfigurationError(
      `environment ${config.envName} has no krypton section in ${config.configFile}`,
    );
  }
  // The auth key and the signer's secret go to this endpoint: refuse plain http before either is read.
  let endpoint: string;
  try {
    endpoint = checkedSoracomEndpoint(
      io.env.SORACOM_API_ENDPOINT || soracomEndpoint(krypton.coverage),
      'SORACOM_API_ENDPOINT',
    );
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  // Another account's stack would hand SORACOM another account's signer.
  await assertCallerMatches({ sts: io.sts }, config);
  const name = stackName(config.envName, 'KryptonAccess');
  const outputs = new DeployedOutputs(io.cloudFormation, config);
  const identityPoolId = await outputs.require(OUTPUTS.KryptonAccess.identityPoolId);
  const developerProviderName = await outputs.require(OUTPUTS.KryptonAccess.developerProviderName);
  if (developerProviderName !== krypton.developerProviderName) {
    throw new ConfigurationError(
      `stack ${name} has developer provider ${developerProviderName} but ${config.configFile} says ${krypton.developerProviderName}: ` +
        'Cognito cannot rename a developer provider; put the deployed name back in the config',
    );
  }
  const credential = await signerCredential(krypton, config, io, outputs);

  const auth = await soracomAuthKey(io);
  const action = await withSoracomOutcomes(krypton, async () => {
    const soracom = await SoracomClient.login({
      endpoint,
      ...auth,
      fetchImpl: io.fetchImpl,
      maxRetries: io.maxRetries,
      sleep: async (ms) => {
        io.note(`SORACOM API rate limit reached: waiting ${Math.ceil(ms / 1000)} s before retrying`);
        await (io.sleep ?? ((wait) => new Promise((resolve) => setTimeout(resolve, wait))))(ms);
      },
    });
    if (await soracom.getCredential(krypton.credentialId)) {
      await soracom.updateCredential(krypton.credentialId, credential);
      return 'updated' as const;
    }
    await soracom.createCredential(krypton.credentialId, credential);
    return 'created' as const;
  });

  const result: RegisterKryptonResult = {
    action,
    credentialId: krypton.credentialId,
    type: credential.type,
    endpoint,
    identityPoolId,
    developerProviderName,
  };
  for (const line of describeResult(result)) io.out(line);
  return result;
}

/** What SORACOM should sign with: the user's access key from the secret, or the role and its external id. */
async function signerCredential(
  krypton: KryptonConfig,
  config: KeylessConfig,
  io: RegisterKryptonIo,
  outputs: DeployedOutputs,
): Promise<SoracomCredential> {
  const description = `${PROJECT} ${config.envName}: Krypton signs Cognito GetOpenIdTokenForDeveloperIdentity with this`;
  if (krypton.signer.mode === 'role') {
    return {
      type: 'aws-iam-role-credentials',
      credentials: {
        roleArn: await outputs.require(OUTPUTS.KryptonAccess.signerRoleArn),
        externalId: krypton.signer.externalId,
      },
      description,
    };
  }
  const secretArn = await outputs.require(OUTPUTS.KryptonAccess.signerCredentialsSecretArn);
  let secretString: string | undefined;
  try {
    secretString = (await io.secretsManager.send(new GetSecretValueCommand({ SecretId: secretArn })))
      .SecretString;
  } catch (error) {
    throw describeAwsError(error, config);
  }
  let parsed: { accessKeyId?: unknown; secretAccessKey?: unknown } = {};
  try {
    parsed = JSON.parse(secretString ?? '') as typeof parsed;
  } catch {
    // Fall through: the message below must not quote the value.
  }
  if (
    typeof parsed.accessKeyId !== 'string' ||
    parsed.accessKeyId === '' ||
    typeof parsed.secretAccessKey !== 'string' ||
    parsed.secretAccessKey === ''
  ) {
    throw new RemoteServiceError(
      `secret ${secretArn} does not hold {"accessKeyId","secretAccessKey"} as the KryptonAccess stack writes it: redeploy the stack`,
    );
  }
  return {
    type: 'aws-credentials',
    credentials: { accessKeyId: parsed.accessKeyId, secretAccessKey: parsed.secretAccessKey },
    description,
  };
}

/** The auth key from SORACOM_AUTH_KEY_ID/SORACOM_AUTH_KEY, or asked for on the terminal. */
export async function soracomAuthKey(
  io: Pick<RegisterKryptonIo, 'env' | 'askAuthKey'>,
  /** What the SAM user must be allowed, for the message when there is no key. */
  allowed = 'list, create and update credentials',
): Promise<SoracomAuthKey> {
  const authKeyId = io.env.SORACOM_AUTH_KEY_ID;
  const authKey = io.env.SORACOM_AUTH_KEY;
  if (authKeyId && authKey) return { authKeyId, authKey };
  if (!io.askAuthKey) {
    throw new UsageError(
      `no SORACOM auth key: set SORACOM_AUTH_KEY_ID and SORACOM_AUTH_KEY (a SAM user allowed to ${allowed}), or run in a terminal to be asked`,
    );
  }
  const asked = await io.askAuthKey();
  if (!asked.authKeyId || !asked.authKey) throw new UsageError('no SORACOM auth key entered');
  return asked;
}

/** Turns the SORACOM outcomes an operator can act on into one plain sentence each. */
export async function withSoracomOutcomes<T>(krypton: KryptonConfig, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof SoracomAuthError) {
      throw new RemoteServiceError(
        `SORACOM auth key rejected (coverage ${krypton.coverage}): check SORACOM_AUTH_KEY_ID/SORACOM_AUTH_KEY and that the key belongs to a ${krypton.coverage === 'jp' ? 'Japan' : 'Global'} coverage account`,
        { cause: error },
      );
    }
    if (error instanceof SoracomApiError && error.status === 429) {
      throw new RemoteServiceError(
        `SORACOM API kept answering 429 (rate limited) on ${error.method} ${error.path} after retrying: wait a minute and run the command again`,
        { cause: error },
      );
    }
    throw error;
  }
}

/** The outcome and the console step that is left, with the exact values to type. */
export function describeResult(result: RegisterKryptonResult): string[] {
  return [
    `SORACOM credential ${result.credentialId} ${result.action} (${result.type}) via ${result.endpoint}.`,
    '',
    'Remaining step, in the SORACOM User Console, for every SIM group whose devices use Krypton:',
    '  SIM group > SORACOM Krypton settings > turn on Amazon Cognito and enter',
    `    Identity pool ID:         ${result.identityPoolId}`,
    `    Developer provider name:  ${result.developerProviderName}`,
    `    Credentials (credential set): ${result.credentialId}`,
    'then save. Groups that already name this credential set follow the update without a change.',
  ];
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

/**
 * The `keyless soracom` command group, created by whichever SORACOM command registers first (Krypton, Funnel):
 * commander refuses two commands with one name.
 */
export function soracomCommand(program: Command): Command {
  return (
    program.commands.find((c) => c.name() === 'soracom') ??
    program.command('soracom').description('SORACOM-side setup for the Krypton and Funnel flows')
  );
}

/** `keyless soracom register-krypton-credentials --env <env> [--json]` */
export function registerSoracomKryptonCommand(program: Command): void {
  soracomCommand(program)
    .command('register-krypton-credentials')
    .description(
      'Create or update (in place) the SORACOM credential Krypton signs Cognito calls with, from the deployed KryptonAccess stack; the auth key comes from SORACOM_AUTH_KEY_ID/SORACOM_AUTH_KEY or a prompt',
    )
    .addOption(envOption())
    .addOption(jsonOption())
    .action(async (options: { env: string; json?: boolean }) => {
      const output = commandOutput(Boolean(options.json));
      const config = loadEnvironmentConfig(options.env);
      // Endpoints follow AWS_ENDPOINT_URL_CLOUDFORMATION / _SECRETS_MANAGER / _STS (the SDK reads them).
      const clientConfig = { region: config.region };
      const result = await registerKryptonCredentials(config, {
        cloudFormation: new CloudFormationClient(clientConfig),
        secretsManager: new SecretsManagerClient(clientConfig),
        sts: new STSClient(clientConfig),
        env: process.env,
        askAuthKey: terminalAuthKeyPrompt(),
        out: output.say,
        note: output.note,
      });
      // Names and ids only: the access key went to SORACOM and nowhere else.
      output.result({ env: config.envName, ...result });
    });
}
