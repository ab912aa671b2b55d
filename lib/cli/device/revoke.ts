import { DescribeCertificateCommand, UpdateCertificateCommand } from '@aws-sdk/client-iot';
import { ConfigError } from '../../config';
import { CERTIFICATE_STATUS, certificateIdOutput, type CertificateStatus } from '../../contract';
import { assertCallerMatches, describeAwsError } from '../operator-clients';
import { setThingLifecycle, type ThingLifecycle } from '../config-file-edits';
import { DeployedOutputs } from '../deployed-outputs';
import { RemoteServiceError, UsageError } from '../exit-codes';
import { placedThing, shown, type DeviceClients, type EditableConfig } from './context';

export interface RevokeResult {
  readonly env: string;
  readonly thing: string;
  readonly certificateId: string;
  /** The status AWS IoT reported before the command. */
  readonly previousStatus: string;
  readonly status: CertificateStatus;
  /** Whether the command called UpdateCertificate (false when AWS IoT already had the status). */
  readonly updated: boolean;
  readonly configFile: string;
  /** Whether the config file changed (false when it already recorded the status). */
  readonly configChanged: boolean;
  readonly stackName: string;
  /** Deploy this so CloudFormation's record of the certificate says the same. */
  readonly deployCommand: string;
}

/**
 * Sets a thing's certificate REVOKED (or INACTIVE) in AWS IoT now, and records the same status in the config so
 * the next deploy of its Fleet stack agrees. The certificate is the one the thing's Fleet stack output names (as
 * `keyless bundle` finds it), checked with the caller's account and region first.
 *
 * The config edit is validated before AWS is called and written only after AWS IoT accepted the change: a failed
 * call leaves the config as it was (the operator's file never claims what AWS did not do), and an edit the
 * loader would refuse stops the command before anything changes. AWS IoT disconnects devices that used the
 * certificate within minutes of it leaving ACTIVE (UpdateCertificate API reference); credentials the
 * credentials provider issued earlier stay valid until they expire.
 */
export async function revokeCertificate(
  editable: EditableConfig,
  clients: DeviceClients,
  thingName: string,
  target: 'revoked' | 'inactive',
): Promise<RevokeResult> {
  const { config } = editable;
  const placed = placedThing(config, thingName);
  if (placed.thing.csrPem === undefined) {
    throw new ConfigError(
      `thing ${thingName} has no CSR (${placed.thing.csrFile}), so it has no certificate to ${target === 'revoked' ? 'revoke' : 'deactivate'}`,
    );
  }
  if (target === 'inactive' && placed.thing.status === 'revoked') {
    throw new UsageError(
      `thing ${thingName} is "revoked" in ${config.configFile}: a revoked certificate can never be made inactive or active again; ` +
        `give the device a new key and certificate with \`npx keyless enroll --env ${config.envName} --thing ${thingName} --force\``,
    );
  }
  await assertCallerMatches(clients, config);
  const certificateId = await new DeployedOutputs(clients.cloudFormation, config).certificateId(
    thingName,
    placed.shard,
  );
  if (!certificateId) {
    throw new RemoteServiceError(
      `stack ${placed.stackName} has no output ${certificateIdOutput(thingName).key}: thing ${thingName} was not deployed with a certificate. ` +
        `A certificate made outside its Fleet stack (keyless fleet register --bulk) is revoked with \`aws iot list-thing-principals --thing-name ${thingName}\` ` +
        'and `aws iot update-certificate --new-status REVOKED`',
    );
  }
  const previousStatus = await describeStatus(clients, editable, certificateId, thingName);
  const status = CERTIFICATE_STATUS[target];
  if (previousStatus === CERTIFICATE_STATUS.revoked && target === 'inactive') {
    throw new UsageError(
      `certificate ${certificateId} of thing ${thingName} is already REVOKED in AWS IoT, for good: record it with ` +
        `\`npx keyless device revoke --env ${config.envName} --thing ${thingName}\` (without --inactive)`,
    );
  }

  // The edit must be one the loader accepts before AWS is touched.
  setThingLifecycle(
    editable.file,
    thingName,
    { status: target },
    { validate: editable.validate, dryRun: true },
  );
  const updated = previousStatus !== status;
  if (updated) {
    try {
      await clients.iot.send(new UpdateCertificateCommand({ certificateId, newStatus: status }));
    } catch (error) {
      const cause = describeAwsError(error, config);
      throw new RemoteServiceError(
        `AWS IoT did not set certificate ${certificateId} of thing ${thingName} ${status}: ${cause.message}. ` +
          `Nothing changed (${shown(editable.file)} untouched); fix the cause and run the command again`,
        { cause },
      );
    }
  }
  const configChanged = recordAfterAws(
    editable,
    thingName,
    { status: target },
    `certificate ${certificateId} is ${status}`,
  );
  return {
    env: config.envName,
    thing: thingName,
    certificateId,
    previousStatus,
    status,
    updated,
    configFile: shown(editable.file),
    configChanged,
    stackName: placed.stackName,
    deployCommand: placed.deployCommand,
  };
}

/** The certificate's status in AWS IoT, or an error naming the certificate and what to do. */
export async function describeStatus(
  clients: DeviceClients,
  editable: EditableConfig,
  certificateId: string,
  thingName: string,
): Promise<string> {
  try {
    const answer = await clients.iot.send(new DescribeCertificateCommand({ certificateId }));
    const status = answer.certificateDescription?.status;
    if (!status) {
      throw new RemoteServiceError(
        `AWS IoT answered no status for certificate ${certificateId} of thing ${thingName}`,
      );
    }
    return status;
  } catch (error) {
    if ((error as { name?: string }).name === 'ResourceNotFoundException') {
      throw new RemoteServiceError(
        `certificate ${certificateId} of thing ${thingName} does not exist in AWS IoT (${editable.config.region}), ` +
          'though its Fleet stack names it: the stack was changed outside CloudFormation; redeploy it',
      );
    }
    if (error instanceof RemoteServiceError) throw error;
    throw describeAwsError(error, editable.config);
  }
}

/** What the operator reads after a revocation: what happened, what it means, and the deploy that makes it stick. */
export function describeRevocation(result: RevokeResult, credentialDurationSeconds: number): string[] {
  const done = result.updated
    ? `certificate ${result.certificateId} of thing ${result.thing} is now ${result.status} (was ${result.previousStatus}).`
    : `certificate ${result.certificateId} of thing ${result.thing} was already ${result.status}.`;
  return [
    done,
    result.status === CERTIFICATE_STATUS.revoked
      ? 'AWS IoT refuses it from now on and disconnects devices using it within minutes; a revoked certificate can never be made active again.'
      : 'AWS IoT refuses it from now on and disconnects devices using it within minutes; it can be made active again.',
    `Credentials issued with it before now stay valid until they expire (at most ${credentialDurationSeconds} s, iot.roleAlias.credentialDurationSeconds).`,
    `${result.configFile} ${result.configChanged ? 'now records' : 'already recorded'} "status": "${result.status.toLowerCase()}" for ${result.thing}.`,
    `Deploy so CloudFormation agrees: ${result.deployCommand}`,
  ];
}

/**
 * Writes what AWS now holds into the config. AWS has already changed, so a failure here is reported with what
 * to put in the file by hand (`keyless device status` shows the difference until then).
 */
export function recordAfterAws(
  editable: EditableConfig,
  thingName: string,
  lifecycle: ThingLifecycle,
  done: string,
): boolean {
  try {
    return setThingLifecycle(editable.file, thingName, lifecycle, { validate: editable.validate });
  } catch (error) {
    const fields = [
      ...(lifecycle.status !== undefined ? [`"status": "${lifecycle.status}"`] : []),
      ...(lifecycle.quarantined !== undefined ? [`"quarantined": ${lifecycle.quarantined}`] : []),
      ...(lifecycle.quarantinedAt !== undefined ? [`"quarantinedAt": "${lifecycle.quarantinedAt}"`] : []),
    ].join(', ');
    throw new ConfigError(
      `${done} in AWS IoT, but ${shown(editable.file)} could not be written (${error instanceof Error ? error.message : String(error)}): ` +
        `set ${fields} on ${thingName} by hand before the next deploy, or the deploy undoes it`,
      { cause: error },
    );
  }
}
