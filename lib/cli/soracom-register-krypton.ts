import type { Command } from 'commander';
import { ConfigError, type KeylessConfig } from '../config';
import { OUTPUTS, PROJECT, stackName } from '../contract';
import type { SoracomCredential } from '../soracom/api-client';
import { DeployedOutputs } from './deployed-outputs';
import {
  assertCallerMatches,
  registerSoracomCredentialsCommand,
  type SoracomRegisterIo,
} from './operator-clients';
import {
  ensureRotatedKey,
  environmentRoleArn,
  putSoracomCredential,
  soracomEndpointFor,
} from './soracom-credentials';

export interface RegisterKryptonResult {
  /**
   * Role mode: `created` or `updated` (in place). User mode: `rotated` when the rotation made a key and put it
   * into SORACOM (a fresh environment, or SORACOM did not hold the current key), `unchanged` when SORACOM
   * already held it.
   */
  readonly action: 'created' | 'updated' | 'rotated' | 'unchanged';
  readonly credentialId: string;
  readonly type: SoracomCredential['type'];
  /** Role mode: where the credential was written; null in user mode (the rotation function writes it). */
  readonly endpoint: string | null;
  readonly identityPoolId: string;
  readonly developerProviderName: string;
}

/**
 * Puts the principal Krypton signs with into the SORACOM credential store, then prints the one step left in the
 * SORACOM console with the exact values.
 * - Signer mode `role`: creates the credential (`aws-iam-role-credentials`: role ARN, external id) or, when it
 *   exists, replaces it in place, so SIM groups that name it follow without a change.
 * - Signer mode `user`: CloudFormation makes no access key; the deployed key rotation does. The command asks it
 *   to `ensure` SORACOM holds the current key (the first run makes the first key), and never sees the key.
 * Before anything is read or sent: the SORACOM endpoint must be https (loopback http excepted, for local test
 * servers), and the AWS credentials must be the environment's account (as `keyless bundle` checks).
 */
export async function registerKryptonCredentials(
  config: KeylessConfig,
  io: SoracomRegisterIo,
): Promise<RegisterKryptonResult> {
  const krypton = config.krypton;
  if (!krypton) {
    throw new ConfigError(`environment ${config.envName} has no krypton section in ${config.configFile}`);
  }
  const role = krypton.signer.mode === 'role';
  // The auth key and the role credential go to this endpoint: refuse plain http before either is read.
  const endpoint = role ? soracomEndpointFor(krypton.coverage, io.env) : undefined;
  // Another account's stack would hand SORACOM another account's signer.
  await assertCallerMatches({ sts: io.sts }, config);
  const name = stackName(config.envName, 'KryptonAccess');
  const outputs = new DeployedOutputs(io.cloudFormation, config);
  const identityPoolId = await outputs.require(OUTPUTS.KryptonAccess.identityPoolId);
  const developerProviderName = await outputs.require(OUTPUTS.KryptonAccess.developerProviderName);
  if (developerProviderName !== krypton.developerProviderName) {
    throw new ConfigError(
      `stack ${name} has developer provider ${developerProviderName} but ${config.configFile} says ${krypton.developerProviderName}: ` +
        'Cognito cannot rename a developer provider; put the deployed name back in the config',
    );
  }
  const common = { credentialId: krypton.credentialId, identityPoolId, developerProviderName };

  let result: RegisterKryptonResult;
  if (krypton.signer.mode === 'role' && endpoint !== undefined) {
    const credential: SoracomCredential = {
      type: 'aws-iam-role-credentials',
      credentials: {
        roleArn: await environmentRoleArn(config, outputs, OUTPUTS.KryptonAccess.signerRoleArn),
        externalId: krypton.signer.externalId,
      },
      description: `${PROJECT} ${config.envName}: Krypton signs Cognito GetOpenIdTokenForDeveloperIdentity with this`,
    };
    const action = await putSoracomCredential(
      krypton.coverage,
      endpoint,
      krypton.credentialId,
      credential,
      io,
    );
    result = { action, type: credential.type, endpoint, ...common };
  } else {
    const functionName = await outputs.require(OUTPUTS.KryptonAccess.signerRotationFunctionName);
    const secretArn = await outputs.require(OUTPUTS.KryptonAccess.signerAuthKeySecretArn);
    const ensured = await ensureRotatedKey(io.lambda, functionName, config, secretArn);
    result = {
      action: ensured.rotated ? 'rotated' : 'unchanged',
      type: 'aws-credentials',
      endpoint: null,
      ...common,
    };
  }
  for (const line of describeResult(result)) io.out(line);
  return result;
}

/** The outcome and the console step that is left, with the exact values to type. */
export function describeResult(result: RegisterKryptonResult): string[] {
  const outcome =
    result.action === 'rotated'
      ? `SORACOM credential ${result.credentialId} now holds a new Krypton signer access key (aws-credentials), put there by the key rotation.`
      : result.action === 'unchanged'
        ? `SORACOM credential ${result.credentialId} already holds the current Krypton signer access key (aws-credentials); the key rotation changed nothing.`
        : `SORACOM credential ${result.credentialId} ${result.action} (${result.type}) via ${result.endpoint}.`;
  return [
    outcome,
    '',
    'Remaining step, in the SORACOM User Console, for every SIM group whose devices use Krypton:',
    '  SIM group > SORACOM Krypton settings > turn on Amazon Cognito and enter',
    `    Identity pool ID:         ${result.identityPoolId}`,
    `    Developer provider name:  ${result.developerProviderName}`,
    `    Credentials (credential set): ${result.credentialId}`,
    'then save. Groups that already name this credential set follow the update without a change.',
  ];
}

/** `keyless soracom register-krypton-credentials --env <env> [--json]` */
export function registerSoracomKryptonCommand(program: Command): void {
  registerSoracomCredentialsCommand(
    program,
    'register-krypton-credentials',
    'Put the principal Krypton signs Cognito calls with into SORACOM: role mode creates or updates (in place) the role credential (auth key from SORACOM_AUTH_KEY_ID/SORACOM_AUTH_KEY or a prompt); user mode has the deployed key rotation make sure SORACOM holds the current key',
    registerKryptonCredentials,
  );
}
