import { LookupDeveloperIdentityCommand } from '@aws-sdk/client-cognito-identity';
import { UpdateCertificateCommand, UpdateThingCommand } from '@aws-sdk/client-iot';
import { ConfigError } from '../../config';
import {
  CERTIFICATE_STATUS,
  deployedCertificateStatus,
  follows,
  formatQuarantineTime,
  LIFECYCLE_RULES,
  OUTPUTS,
  QUARANTINE_ATTRIBUTE,
  QUARANTINE_DENY,
  stackName as stackNameOf,
  type CertificateStatus,
} from '../../contract';
import { assertCallerMatches, describeAwsError } from '../operator-clients';
import { setKryptonIdentityQuarantine, setThingLifecycle, type ThingLifecycle } from '../config-file-edits';
import { deployCommand, DeployedOutputs, StackNotDeployedError } from '../deployed-outputs';
import { RemoteServiceError, UsageError } from '../exit-codes';
import { placedThing, shown, type DeviceClients, type EditableConfig, type PlacedThing } from './context';
import { describeStatus, recordAfterAws } from './revoke';

/** What a quarantine or release did to the thing's certificate. */
export interface QuarantineCertificate {
  readonly certificateId: string;
  /** AWS IoT's status before the command. */
  readonly previousStatus: string;
  /** AWS IoT's status after it. */
  readonly status: string;
  /** Whether the command called UpdateCertificate. */
  readonly updated: boolean;
}

export interface QuarantineResult {
  readonly env: string;
  readonly thing: string;
  readonly quarantined: boolean;
  /** The quarantine time written to the config (null for a release). */
  readonly quarantinedAt: string | null;
  /** Whether AWS IoT has the thing (false: not deployed yet; its first deploy applies the config). */
  readonly applied: boolean;
  /** The certificate its Fleet stack deployed, or null when it has none deployed yet. */
  readonly certificate: QuarantineCertificate | null;
  readonly configFile: string;
  readonly configChanged: boolean;
  readonly stackName: string;
  readonly deployCommand: string;
}

/**
 * Quarantines a thing (or releases it), so that the quarantine holds whatever the credentials provider does with
 * thing attributes:
 * - the quarantine attribute, which the IoT policy denies credentials, connections and topics, is set on the thing
 *   now (UpdateThing with `merge: true` changes this one attribute; an empty value removes it);
 * - its certificate is set INACTIVE now, which AWS IoT refuses whatever the policy says (release: ACTIVE again, but
 *   only when the config's `status` is `active` and AWS IoT has it INACTIVE: a certificate the config keeps
 *   inactive or revoked, or one AWS IoT has REVOKED, is never activated);
 * - the config records `quarantined` and `quarantinedAt` (the command's time), from which the next deploy keeps
 *   the attribute, keeps the certificate INACTIVE (deployedCertificateStatus) and makes the device role deny the
 *   thing's sessions issued before that time (credentials it already holds).
 *
 * CloudFormation owns the thing's attributes and the certificate's status, so each is written to the config too,
 * or the next deploy would undo it. The config edit is validated and the certificate looked up before AWS is
 * changed: anything the command cannot understand stops it with nothing changed. The attribute goes first; if the
 * certificate then fails, the config still records the quarantine (its deploy finishes the job) and the command
 * fails saying so.
 */
export async function setQuarantine(
  editable: EditableConfig,
  clients: DeviceClients,
  thingName: string,
  quarantined: boolean,
  now: Date = new Date(),
): Promise<QuarantineResult> {
  const { config } = editable;
  const placed = placedThing(config, thingName);
  const quarantinedAt = quarantined ? formatQuarantineTime(now) : undefined;
  const lifecycle: ThingLifecycle = { quarantined, quarantinedAt };
  await assertCallerMatches(clients, config);
  setThingLifecycle(editable.file, thingName, lifecycle, { validate: editable.validate, dryRun: true });
  const found = await deployedCertificate(editable, clients, placed);

  let applied = true;
  try {
    await clients.iot.send(
      new UpdateThingCommand({
        thingName,
        attributePayload: {
          attributes: { [QUARANTINE_ATTRIBUTE.name]: quarantined ? QUARANTINE_ATTRIBUTE.value : '' },
          merge: true,
        },
      }),
    );
  } catch (error) {
    if ((error as { name?: string }).name === 'ResourceNotFoundException') {
      // Nothing can connect as a thing that does not exist; its first deploy creates it as the config says.
      applied = false;
    } else {
      const cause = describeAwsError(error, config);
      throw new RemoteServiceError(
        `AWS IoT did not ${quarantined ? 'quarantine' : 'release'} thing ${thingName}: ${cause.message}. ` +
          `Nothing changed (${shown(editable.file)} untouched); fix the cause and run the command again`,
        { cause },
      );
    }
  }

  let certificate: QuarantineCertificate | null = null;
  let certificateFailure: Error | undefined;
  if (found) {
    const target = certificateTarget(placed, quarantined, found.status);
    certificate = {
      certificateId: found.id,
      previousStatus: found.status,
      status: found.status,
      updated: false,
    };
    if (target !== undefined) {
      try {
        await clients.iot.send(new UpdateCertificateCommand({ certificateId: found.id, newStatus: target }));
        certificate = { ...certificate, status: target, updated: true };
      } catch (error) {
        certificateFailure = describeAwsError(error, config);
      }
    }
  }

  const done = `thing ${thingName} is ${quarantined ? 'quarantined' : 'released'}`;
  const configChanged = recordAfterAws(editable, thingName, lifecycle, done);
  if (certificateFailure) {
    throw new RemoteServiceError(
      `${done} (its attribute, and ${shown(editable.file)}), but AWS IoT did not set certificate ${found!.id} ` +
        `${quarantined ? CERTIFICATE_STATUS.inactive : CERTIFICATE_STATUS.active}: ${certificateFailure.message}. ` +
        `Run the command again, or deploy: ${placed.deployCommand}`,
      { cause: certificateFailure },
    );
  }
  return {
    env: config.envName,
    thing: thingName,
    quarantined,
    quarantinedAt: quarantinedAt ?? null,
    applied,
    certificate,
    configFile: shown(editable.file),
    configChanged,
    stackName: placed.stackName,
    deployCommand: placed.deployCommand,
  };
}

/**
 * The status to set now, or undefined to leave the certificate as it is. A quarantine deactivates an ACTIVE
 * certificate (nothing else: INACTIVE and REVOKED already refuse). A release activates only an INACTIVE
 * certificate whose config status is `active`: the same status its Fleet stack deploys once the thing is released.
 */
function certificateTarget(
  placed: PlacedThing,
  quarantined: boolean,
  current: string,
): CertificateStatus | undefined {
  if (quarantined) return current === CERTIFICATE_STATUS.active ? CERTIFICATE_STATUS.inactive : undefined;
  const wanted = deployedCertificateStatus({ status: placed.thing.status, quarantined: false });
  return wanted === CERTIFICATE_STATUS.active && current === CERTIFICATE_STATUS.inactive
    ? CERTIFICATE_STATUS.active
    : undefined;
}

/**
 * The certificate the thing's Fleet stack deployed and its status, or undefined when there is none yet (no CSR,
 * Fleet stack not deployed, or deployed before the CSR): its first deploy then creates it as the config says.
 */
async function deployedCertificate(
  editable: EditableConfig,
  clients: DeviceClients,
  placed: PlacedThing,
): Promise<{ id: string; status: string } | undefined> {
  if (placed.thing.csrPem === undefined) return undefined;
  let id: string | undefined;
  try {
    id = await new DeployedOutputs(clients.cloudFormation, editable.config).certificateId(
      placed.thing.name,
      placed.shard,
    );
  } catch (error) {
    // Only a stack that does not exist at all means "not deployed yet"; one in a failed state stops the command.
    if (error instanceof StackNotDeployedError && / is not deployed in account /.test(error.message))
      return undefined;
    throw error;
  }
  if (id === undefined) return undefined;
  return { id, status: await describeStatus(clients, editable, id, placed.thing.name) };
}

/** What the operator reads: the effect, its limits, and that the config keeps it through deploys. */
export function describeQuarantine(result: QuarantineResult, credentialDurationSeconds: number): string[] {
  const record = `${result.configFile} ${result.configChanged ? 'now records' : 'already recorded'} it`;
  const deny =
    `Deploy now so the device role also refuses the credentials issued to it before ${result.quarantinedAt} ` +
    `(+${QUARANTINE_DENY.settleSeconds} s while AWS IoT applies the change); until then they stay valid until ` +
    `they expire (at most ${credentialDurationSeconds} s, iot.roleAlias.credentialDurationSeconds): ${result.deployCommand}`;
  const lines: string[] = [];
  if (!result.applied) {
    lines.push(
      `thing ${result.thing} does not exist in AWS IoT yet; ${record}, so its first deploy creates it ${result.quarantined ? 'quarantined' : 'released'}: ${result.deployCommand}`,
    );
  } else if (result.quarantined) {
    lines.push(
      `thing ${result.thing} is quarantined: the IoT policy denies it credentials, MQTT connections and topics (AWS IoT applies such changes within minutes).`,
    );
  } else {
    lines.push(
      `thing ${result.thing} is released: the quarantine attribute is gone, so the IoT policy gives it credentials and MQTT again (within minutes).`,
    );
  }
  lines.push(describeCertificate(result));
  if (result.quarantined) {
    if (result.applied) {
      lines.push(
        `${record} ("quarantined": true, "quarantinedAt": "${result.quarantinedAt}"): deploys keep the quarantine.`,
        deny,
      );
    }
  } else if (result.applied) {
    lines.push(
      `${record} (no "quarantined"). Deploy so CloudFormation's record agrees and the device role stops denying its earlier sessions: ${result.deployCommand}`,
    );
  }
  return lines;
}

function describeCertificate(result: QuarantineResult): string {
  const cert = result.certificate;
  if (!cert) {
    return (
      `No certificate of ${result.thing} is deployed by ${result.stackName} yet; when it is, it is ${result.quarantined ? 'INACTIVE while the thing is quarantined' : 'as iot.things[].status says'}. ` +
      `A certificate made outside its Fleet stack (keyless fleet register --bulk) is not changed: find it with \`aws iot list-thing-principals --thing-name ${result.thing}\` ` +
      `and use \`aws iot update-certificate --new-status ${result.quarantined ? CERTIFICATE_STATUS.inactive : CERTIFICATE_STATUS.active}\`.`
    );
  }
  if (cert.updated) {
    return `certificate ${cert.certificateId} is now ${cert.status} (was ${cert.previousStatus})${result.quarantined ? ': AWS IoT refuses it whatever the thing attributes say, and disconnects devices using it within minutes' : ''}.`;
  }
  if (result.quarantined) return `certificate ${cert.certificateId} was already ${cert.status}.`;
  return cert.status === CERTIFICATE_STATUS.revoked
    ? `certificate ${cert.certificateId} stays REVOKED: AWS IoT never makes it active again; give the device a new key and certificate with \`npx keyless enroll --force\`.`
    : `certificate ${cert.certificateId} stays ${cert.status}${cert.status === CERTIFICATE_STATUS.active ? '' : ', as the config\'s "status" says (`npx keyless device revoke` set it; release does not undo that)'}.`;
}

export interface IdentityQuarantineResult {
  readonly env: string;
  readonly identityId: string;
  readonly quarantined: boolean;
  /** When it was quarantined, as the config records it (null once released). */
  readonly quarantinedAt: string | null;
  readonly configFile: string;
  readonly configChanged: boolean;
  readonly stackName: string;
  readonly deployCommand: string;
}

/**
 * Quarantines a Krypton identity (or releases it): `krypton.quarantinedIdentities` in the config, from which the
 * KryptonAccess stack's device role denies every session of the identity. Neither Cognito nor Krypton has a
 * per-identity switch, so the deploy is the quarantine. Before the config changes, the identity must be one of the
 * environment's identity pool (LookupDeveloperIdentity): a typo must not quarantine nobody while looking done.
 */
export async function setIdentityQuarantine(
  editable: EditableConfig,
  clients: DeviceClients,
  identityId: string,
  quarantined: boolean,
  now: Date = new Date(),
): Promise<IdentityQuarantineResult> {
  const { config } = editable;
  if (!config.krypton) {
    throw new ConfigError(`environment ${config.envName} has no krypton section in ${config.configFile}`);
  }
  if (!follows(LIFECYCLE_RULES.cognitoIdentityId, identityId)) {
    throw new UsageError(
      `--identity-id must be ${LIFECYCLE_RULES.cognitoIdentityId.description}, got: ${identityId}`,
    );
  }
  if (identityId.split(':')[0] !== config.region) {
    throw new UsageError(
      `--identity-id ${identityId} is an identity of ${identityId.split(':')[0]}, but environment ${config.envName} is in ${config.region}`,
    );
  }
  const listed = config.krypton.quarantinedIdentities.find((entry) => entry.identityId === identityId);
  const quarantinedAt = quarantined ? (listed?.quarantinedAt ?? formatQuarantineTime(now)) : undefined;
  setKryptonIdentityQuarantine(editable.file, identityId, quarantinedAt, {
    validate: editable.validate,
    dryRun: true,
  });
  if (quarantined && !listed) await assertIdentityOfPool(editable, clients, identityId);

  let configChanged: boolean;
  try {
    configChanged = setKryptonIdentityQuarantine(editable.file, identityId, quarantinedAt, {
      validate: editable.validate,
    });
  } catch (error) {
    throw new ConfigError(
      `${shown(editable.file)} could not be written (${error instanceof Error ? error.message : String(error)}): nothing changed`,
      { cause: error },
    );
  }
  const stackName = stackNameOf(config.envName, 'KryptonAccess');
  return {
    env: config.envName,
    identityId,
    quarantined,
    quarantinedAt: quarantinedAt ?? null,
    configFile: shown(editable.file),
    configChanged,
    stackName,
    deployCommand: deployCommand(config, stackName),
  };
}

async function assertIdentityOfPool(
  editable: EditableConfig,
  clients: DeviceClients,
  identityId: string,
): Promise<void> {
  const { config } = editable;
  await assertCallerMatches(clients, config);
  const identityPoolId = await new DeployedOutputs(clients.cloudFormation, config).require(
    OUTPUTS.KryptonAccess.identityPoolId,
  );
  let answered: string | undefined;
  try {
    const answer = await clients.cognitoIdentity.send(
      new LookupDeveloperIdentityCommand({
        IdentityPoolId: identityPoolId,
        IdentityId: identityId,
        MaxResults: 1,
      }),
    );
    answered = answer.IdentityId;
  } catch (error) {
    if ((error as { name?: string }).name === 'ResourceNotFoundException') {
      throw new UsageError(
        `identity ${identityId} is not an identity of pool ${identityPoolId} (environment ${config.envName}): check the id ` +
          `(the SIM's krypton/<id>/ prefix); nothing changed (${shown(editable.file)} untouched)`,
      );
    }
    throw describeAwsError(error, config);
  }
  if (answered !== identityId) {
    throw new RemoteServiceError(
      `Cognito answered identity ${answered ?? '(none)'} when asked about ${identityId}: nothing changed`,
    );
  }
}

/** What the operator reads after a Krypton identity's quarantine or release. */
export function describeIdentityQuarantine(result: IdentityQuarantineResult): string[] {
  const record = `${result.configFile} ${result.configChanged ? 'now records' : 'already recorded'} it`;
  if (result.quarantined) {
    return [
      `identity ${result.identityId} is quarantined in the config (krypton.quarantinedIdentities, since ${result.quarantinedAt}); ${record}.`,
      `Deploy now: nothing refuses it before the deploy. After it, the Krypton device role denies every session of the identity, those issued before and any Krypton hands out later: ${result.deployCommand}`,
      'To stop Krypton issuing credentials at all, suspend the SIM at SORACOM (`npx keyless device offboard-sim --sim-id` ends it for good).',
    ];
  }
  return [
    result.configChanged
      ? `identity ${result.identityId} is released in the config (no longer in krypton.quarantinedIdentities).`
      : `identity ${result.identityId} was not quarantined (not in krypton.quarantinedIdentities); nothing changed.`,
    `Its sessions stay denied until this is deployed: ${result.deployCommand}`,
  ];
}
