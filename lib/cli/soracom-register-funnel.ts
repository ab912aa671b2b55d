import type { Command } from 'commander';
import { ConfigError, type KeylessConfig } from '../config';
import { OUTPUTS, PROJECT } from '../contract';
import type { SoracomCredential } from '../soracom/api-client';
import { DeployedOutputs } from './deployed-outputs';
import {
  ensureRotatedKey,
  environmentRoleArn,
  putSoracomCredential,
  soracomEndpointFor,
} from './soracom-credentials';
import {
  assertCallerMatches,
  registerSoracomCredentialsCommand,
  type SoracomRegisterIo,
} from './operator-clients';

export interface RegisterFunnelResult {
  readonly mode: 'role' | 'user';
  /**
   * Role mode: `created` or `updated` (in place). User mode: `rotated` when the rotation made a key and put it
   * into SORACOM, `unchanged` when SORACOM already held the current one.
   */
  readonly action: 'created' | 'updated' | 'rotated' | 'unchanged';
  /** The credential set the SIM groups' Funnel configuration names. */
  readonly credentialId: string;
  readonly type: SoracomCredential['type'];
  /** Role mode: where the credential was written; null in user mode (the rotation function writes it). */
  readonly endpoint: string | null;
  /** Role mode: the role SORACOM assumes; null in user mode. */
  readonly roleArn: string | null;
  /** Funnel may publish to `<topicPrefix>/…` and nowhere else. */
  readonly topicPrefix: string;
  readonly region: string;
}

/**
 * Puts the principal SORACOM Funnel publishes to AWS IoT as into the SORACOM credential store, then prints what
 * to set in the SIM groups' Funnel configuration.
 * - Publisher mode `role`: creates the credential `funnel.publisher.credentialId` (`aws-iam-role-credentials`: the
 *   role ARN from the deployed Funnel stack and the external id from the config) or, when it exists, replaces
 *   it in place, so SIM groups that name it follow without a change. No access key exists anywhere.
 * - Publisher mode `user`: CloudFormation makes no key; the deployed key rotation does. The command asks it to
 *   `ensure` SORACOM holds the current key (a fresh environment gets its first key here), and never sees it.
 * Before anything is read or sent: the SORACOM endpoint must be https (loopback http excepted, for local test
 * servers), and the AWS credentials must be the environment's account.
 */
export async function registerFunnelCredentials(
  config: KeylessConfig,
  io: SoracomRegisterIo,
): Promise<RegisterFunnelResult> {
  const funnel = config.funnel;
  if (!funnel) {
    throw new ConfigError(`environment ${config.envName} has no funnel section in ${config.configFile}`);
  }
  const publisher = funnel.publisher;
  // The auth key and the role credential go to this endpoint: refuse plain http before either is read.
  const endpoint = publisher.mode === 'role' ? soracomEndpointFor(funnel.coverage, io.env) : undefined;
  // Another account's stack would hand SORACOM another account's role.
  await assertCallerMatches({ sts: io.sts }, config);
  const outputs = new DeployedOutputs(io.cloudFormation, config);
  const common = { topicPrefix: funnel.topicPrefix, region: config.region };

  let result: RegisterFunnelResult;
  if (publisher.mode === 'role' && endpoint !== undefined) {
    const roleArn = await environmentRoleArn(
      config,
      outputs,
      OUTPUTS.Funnel.publisherRoleArn,
      config.names.funnelPublisherRole,
    );
    const credential: SoracomCredential = {
      type: 'aws-iam-role-credentials',
      credentials: { roleArn, externalId: publisher.externalId },
      description: `${PROJECT} ${config.envName}: SORACOM Funnel publishes to AWS IoT under ${funnel.topicPrefix}/ with this`,
    };
    const action = await putSoracomCredential(
      funnel.coverage,
      endpoint,
      publisher.credentialId,
      credential,
      io,
    );
    result = {
      mode: 'role',
      action,
      credentialId: publisher.credentialId,
      type: credential.type,
      endpoint,
      roleArn,
      ...common,
    };
  } else {
    const functionName = await outputs.require(OUTPUTS.Funnel.rotationFunctionName);
    const secretArn = await outputs.require(OUTPUTS.Funnel.soracomAuthKeySecretArn);
    const ensured = await ensureRotatedKey(io.lambda, functionName, config, secretArn);
    result = {
      mode: 'user',
      action: ensured.rotated ? 'rotated' : 'unchanged',
      credentialId: ensured.credentialId,
      type: 'aws-credentials',
      endpoint: null,
      roleArn: null,
      ...common,
    };
  }
  for (const line of describeFunnelResult(result, funnel.rotation?.strategy.type)) io.out(line);
  return result;
}

/** The outcome and what is left in the SORACOM console, with the exact values to type. */
export function describeFunnelResult(
  result: RegisterFunnelResult,
  strategy?: 'update-in-place' | 'new-credential',
): string[] {
  const outcome =
    result.action === 'rotated'
      ? `SORACOM credential ${result.credentialId} now holds a new Funnel publisher access key (aws-credentials), put there by the key rotation.`
      : result.action === 'unchanged'
        ? `SORACOM credential ${result.credentialId} already holds the current Funnel publisher access key (aws-credentials); the key rotation changed nothing.`
        : `SORACOM credential ${result.credentialId} ${result.action} (${result.type}: role ${result.roleArn}) via ${result.endpoint}.`;
  const lines = [
    outcome,
    '',
    'Remaining step, in the SORACOM User Console, for every SIM group whose devices send through Funnel:',
    '  SIM group > SORACOM Funnel settings > turn on, service AWS IoT, and enter',
    `    Destination:  your AWS IoT data endpoint in ${result.region} (aws iot describe-endpoint --endpoint-type iot:Data-ATS),`,
    `                  with a topic under ${result.topicPrefix}/ (anything else is refused by AWS IoT)`,
    `    Credentials (credential set): ${result.credentialId}`,
    'then save.',
  ];
  if (result.mode === 'user' && strategy === 'new-credential') {
    lines.push(
      `With new-credential, the rotation itself switches every SIM group that names a credential of this prefix; ` +
        `set ${result.credentialId} once in groups that name none yet.`,
    );
  } else {
    lines.push('Groups that already name this credential set follow the update without a change.');
  }
  return lines;
}

/** `keyless soracom register-funnel-credentials --env <env> [--json]` */
export function registerSoracomFunnelCommand(program: Command): void {
  registerSoracomCredentialsCommand(
    program,
    'register-funnel-credentials',
    'Put the principal SORACOM Funnel publishes to AWS IoT as into SORACOM: role mode creates or updates (in place) the role credential (auth key from SORACOM_AUTH_KEY_ID/SORACOM_AUTH_KEY or a prompt); user mode has the deployed key rotation make sure SORACOM holds the current key',
    registerFunnelCredentials,
  );
}
