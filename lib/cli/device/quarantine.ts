import { UpdateThingCommand } from '@aws-sdk/client-iot';
import { QUARANTINE_ATTRIBUTE } from '../../contract';
import { assertCallerMatches, describeAwsError } from '../bundle/aws';
import { setThingLifecycle } from '../config-file-edits';
import { RemoteServiceError } from '../exit-codes';
import { placedThing, shown, type DeviceClients, type EditableConfig } from './context';
import { recordAfterAws } from './revoke';

export interface QuarantineResult {
  readonly env: string;
  readonly thing: string;
  readonly quarantined: boolean;
  /** Whether AWS IoT has the thing (false: not deployed yet; its first deploy applies the config). */
  readonly applied: boolean;
  readonly configFile: string;
  readonly configChanged: boolean;
  readonly stackName: string;
  readonly deployCommand: string;
}

/**
 * Quarantines a thing (or releases it) without touching its certificate: the quarantine attribute, which the IoT
 * policy denies credentials, connections and topics, is set on the thing in AWS IoT now, and recorded in the
 * config, so its Fleet stack carries it too. CloudFormation owns the thing's attributes (the AWS::IoT::Thing
 * handler calls UpdateThing without merge), so an attribute set only in AWS would be erased by the next update of
 * the thing: a release nobody asked for.
 *
 * The config edit is validated first (a quarantined thing must have room for the attribute), then AWS is called
 * with `merge: true`, which changes this one attribute and keeps the others; an empty value removes it
 * (UpdateThing API reference). The config is written only once AWS IoT accepted the change (or has no such
 * thing yet, when the config is what its first deploy applies): a failed call leaves the file as it was.
 */
export async function setQuarantine(
  editable: EditableConfig,
  clients: DeviceClients,
  thingName: string,
  quarantined: boolean,
): Promise<QuarantineResult> {
  const { config } = editable;
  const placed = placedThing(config, thingName);
  await assertCallerMatches(clients, config);
  setThingLifecycle(editable.file, thingName, { quarantined }, { validate: editable.validate, dryRun: true });

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
  const configChanged = recordAfterAws(
    editable,
    thingName,
    { quarantined },
    `thing ${thingName} is ${quarantined ? 'quarantined' : 'released'}`,
  );
  return {
    env: config.envName,
    thing: thingName,
    quarantined,
    applied,
    configFile: shown(editable.file),
    configChanged,
    stackName: placed.stackName,
    deployCommand: placed.deployCommand,
  };
}

/** What the operator reads: the effect, its limits, and that the config keeps it through deploys. */
export function describeQuarantine(result: QuarantineResult, credentialDurationSeconds: number): string[] {
  const record = `${result.configFile} ${result.configChanged ? 'now records' : 'already recorded'} it`;
  if (!result.applied) {
    return [
      `thing ${result.thing} does not exist in AWS IoT yet; ${record}, so its first deploy creates it ${result.quarantined ? 'quarantined' : 'released'}: ${result.deployCommand}`,
    ];
  }
  if (result.quarantined) {
    return [
      `thing ${result.thing} is quarantined: the IoT policy denies it credentials, MQTT connections and topics (AWS IoT applies such changes within minutes). Its certificate is untouched.`,
      `Credentials issued before now stay valid until they expire (at most ${credentialDurationSeconds} s, iot.roleAlias.credentialDurationSeconds). ` +
        'An MQTT session opened before now may last until it reconnects; deactivating or revoking the certificate disconnects it.',
      `${record} ("quarantined": true): deploys keep the quarantine. Deploy when convenient: ${result.deployCommand}`,
    ];
  }
  return [
    `thing ${result.thing} is released: the quarantine attribute is gone, so the IoT policy gives it credentials and MQTT again (within minutes).`,
    `${record} (no "quarantined"). Deploy so CloudFormation's record agrees: ${result.deployCommand}`,
  ];
}
