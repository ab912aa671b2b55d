import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type { KeylessConfig } from '../config';
import {
  checkedSoracomEndpoint,
  SoracomApiError,
  SoracomAuthError,
  SoracomClient,
  soracomEndpoint,
  type SoracomCredential,
} from '../soracom/api-client';
import { roleArn, stackName, type StackOutput } from '../contract';
import { describeAwsError } from './operator-clients';
import { deployCommand, type DeployedOutputs } from './deployed-outputs';
import { RemoteServiceError, UsageError } from './exit-codes';

/**
 * What `keyless soracom register-krypton-credentials` and `register-funnel-credentials` share: the SORACOM
 * endpoint check, the auth key, one create-or-replace of a credential, the plain sentences for SORACOM's
 * outcomes, and (user modes) asking the deployed key rotation to make sure SORACOM holds the current key.
 */

/** A SORACOM SAM user's (or the root's) auth key: read from the environment or asked for, never from a file. */
export interface SoracomAuthKey {
  readonly authKeyId: string;
  readonly authKey: string;
}

export type Coverage = 'jp' | 'global';

/** What the SORACOM half of a register command talks to. */
export interface SoracomSessionIo {
  /** Where SORACOM_AUTH_KEY_ID, SORACOM_AUTH_KEY and SORACOM_API_ENDPOINT are read from. */
  readonly env: NodeJS.ProcessEnv;
  /** Asks for the auth key when the environment has none; undefined when there is no terminal to ask on. */
  readonly askAuthKey?: () => Promise<SoracomAuthKey>;
  /** Progress such as rate-limit waits (stderr). */
  readonly note: (line: string) => void;
  readonly fetchImpl?: typeof fetch;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Retries of one SORACOM request answered 429. @default 5 */
  readonly maxRetries?: number;
}

/**
 * The SORACOM API endpoint for the coverage, or SORACOM_API_ENDPOINT: https only (loopback http excepted, for
 * local test servers), checked before any secret is read, since the auth key and the credential go there.
 */
export function soracomEndpointFor(coverage: Coverage, env: NodeJS.ProcessEnv): string {
  try {
    return checkedSoracomEndpoint(
      env.SORACOM_API_ENDPOINT || soracomEndpoint(coverage),
      'SORACOM_API_ENDPOINT',
    );
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

/** The auth key from SORACOM_AUTH_KEY_ID/SORACOM_AUTH_KEY, or asked for on the terminal. */
export async function soracomAuthKey(
  io: Pick<SoracomSessionIo, 'env' | 'askAuthKey'>,
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

/**
 * Creates the credential (`POST /v1/credentials/{id}`) or, when it exists, replaces it in place (`PUT`), so SIM
 * groups that name it follow without a change. The credential's secret parts only ever go to SORACOM.
 */
export async function putSoracomCredential(
  coverage: Coverage,
  endpoint: string,
  credentialId: string,
  credential: SoracomCredential,
  io: SoracomSessionIo,
): Promise<'created' | 'updated'> {
  const auth = await soracomAuthKey(io);
  return withSoracomOutcomes(coverage, async () => {
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
    if (await soracom.getCredential(credentialId)) {
      await soracom.updateCredential(credentialId, credential);
      return 'updated' as const;
    }
    await soracom.createCredential(credentialId, credential);
    return 'created' as const;
  });
}

/** Turns the SORACOM outcomes an operator can act on into one plain sentence each. */
export async function withSoracomOutcomes<T>(coverage: Coverage, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof SoracomAuthError) {
      throw new RemoteServiceError(
        `SORACOM auth key rejected (coverage ${coverage}): check SORACOM_AUTH_KEY_ID/SORACOM_AUTH_KEY and that the key belongs to a ${coverage === 'jp' ? 'Japan' : 'Global'} coverage account`,
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

/** What the rotation function answered to `{"action":"ensure"}`, as far as the command reports it. */
export interface EnsuredKey {
  /** True when this run made a new key and put it into SORACOM (the first run, or SORACOM lost it). */
  readonly rotated: boolean;
  /** The SORACOM credential that holds the current key. */
  readonly credentialId: string;
}

/**
 * User modes: the deployed key rotation function makes, hands to SORACOM and retires the keys (CloudFormation
 * makes none). `ensure` rotates only when SORACOM does not hold the key the rotation calls current, so this is
 * how a fresh environment gets its first key, and running it again changes nothing that works. The function
 * reads its SORACOM auth key from its own secret; its answer carries key and credential ids, never a secret.
 */
export async function ensureRotatedKey(
  lambda: LambdaClient,
  functionName: string,
  config: KeylessConfig,
  authKeySecretArn: string,
): Promise<EnsuredKey> {
  let answer;
  try {
    answer = await lambda.send(
      new InvokeCommand({
        FunctionName: functionName,
        InvocationType: 'RequestResponse',
        Payload: new TextEncoder().encode(JSON.stringify({ action: 'ensure' })),
      }),
    );
  } catch (error) {
    throw describeAwsError(error, config);
  }
  const text = answer.Payload ? new TextDecoder().decode(answer.Payload) : '';
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const record = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  if (answer.FunctionError !== undefined) {
    // The rotation's errors are written without secrets (see lib/functions/soracom-key-rotation); a message
    // of another shape is not repeated, only pointed at.
    const message =
      typeof record.errorMessage === 'string' && record.errorMessage.length <= 1000
        ? record.errorMessage
        : 'see its log group';
    throw new RemoteServiceError(
      `the key rotation function ${functionName} failed: ${message}. Its SORACOM auth key is the secret ${authKeySecretArn}; nothing was changed that the next run cannot finish`,
    );
  }
  if (typeof record.rotated !== 'boolean' || typeof record.credentialId !== 'string') {
    throw new RemoteServiceError(
      `the key rotation function ${functionName} answered something other than a rotation result: redeploy the stack`,
    );
  }
  return { rotated: record.rotated, credentialId: record.credentialId };
}

/**
 * A role ARN from a stack output, checked before it goes to SORACOM: SORACOM assumes whatever role the credential
 * names, with this environment's external id, and sends it device data or signs with it. So the ARN must be a
 * role of the environment's own account and partition, and exactly the role when the stack gives it a fixed name
 * (`roleName`); a changed or broken output stops the command instead of pointing SORACOM elsewhere.
 */
export async function environmentRoleArn(
  config: KeylessConfig,
  outputs: DeployedOutputs,
  output: StackOutput,
  roleName?: string,
): Promise<string> {
  const value = await outputs.require(output);
  const stack = stackName(config.envName, output.part);
  const prefix = roleArn(config.account, config.region, '');
  const expected = roleName === undefined ? undefined : roleArn(config.account, config.region, roleName);
  const ok =
    expected === undefined
      ? value.startsWith(prefix) && /^[\w+=,.@/-]{1,512}$/.test(value.slice(prefix.length))
      : value === expected;
  if (ok) return value;
  const wanted =
    expected === undefined
      ? `a role of this environment's account (${prefix}…)`
      : `the role ${expected} this environment creates`;
  throw new RemoteServiceError(
    `stack ${stack} output ${output.key} is ${value}, not ${wanted}: SORACOM would assume whatever role it names; ` +
      `redeploy the stack with \`${deployCommand(config, stack)}\` and check who changed it`,
  );
}
