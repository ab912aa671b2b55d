import { createPublicKey, X509Certificate } from 'node:crypto';
import { DescribeCertificateCommand, DescribeThingCommand } from '@aws-sdk/client-iot';
import pLimit from 'p-limit';
import type { FleetThingConfig } from '../../config';
import {
  CERTIFICATE_STATUS,
  deployedCertificateStatus,
  QUARANTINE_ATTRIBUTE,
  thingStatusOf,
  type ThingStatus,
} from '../../contract';
import { x509 } from '../../fleet/x509';
import { assertCallerMatches, describeAwsError } from '../operator-clients';
import { DeployedOutputs, StackNotDeployedError } from '../deployed-outputs';
import { placedThing, type DeviceClients, type EditableConfig } from './context';

/**
 * `keyless device status`: each thing as the config describes it next to what AWS IoT holds, and whether a deploy
 * brings them together. The config loader cannot know what is deployed; this command can, and it is where a config
 * that asks the impossible is caught before a deploy fails on it: a certificate AWS IoT has REVOKED cannot become
 * active or inactive again, so a config that says so for the same key is a conflict (the way forward is
 * `keyless enroll --force`, a new key and so a new certificate).
 */

export type Verdict = 'in-sync' | 'deploy-pending' | 'not-deployed' | 'conflict';

export interface ThingState {
  readonly thing: string;
  readonly stackName: string;
  readonly config: { readonly status: ThingStatus; readonly quarantined: boolean; readonly hasCsr: boolean };
  readonly deployed: {
    readonly certificateId: string | null;
    /** AWS IoT's status of that certificate. */
    readonly certificateStatus: string | null;
    /** Whether that certificate was issued for the key of the CSR the config names now. */
    readonly certificateMatchesCsr: boolean | null;
    readonly thingExists: boolean;
    /** Whether the thing in AWS IoT carries the quarantine attribute (null when it does not exist). */
    readonly quarantined: boolean | null;
  };
  readonly verdict: Verdict;
  /** What differs and what to do, one sentence each; empty when in sync. */
  readonly notes: readonly string[];
}

/** The state of the named things (all configured things when none are named), four at a time. */
export async function deviceStatus(
  editable: EditableConfig,
  clients: DeviceClients,
  thingNames?: readonly string[],
): Promise<ThingState[]> {
  const { config } = editable;
  const names =
    thingNames && thingNames.length > 0
      ? [...new Set(thingNames)]
      : (config.fleet?.things ?? []).map((t) => t.name);
  const placed = names.map((name) => placedThing(config, name));
  await assertCallerMatches(clients, config);
  const outputs = new DeployedOutputs(clients.cloudFormation, config);
  const limit = pLimit(4);
  return Promise.all(
    placed.map((p) => limit(() => stateOf(editable, clients, outputs, p.thing, p.stackName, p.shard))),
  );
}

async function stateOf(
  editable: EditableConfig,
  clients: DeviceClients,
  outputs: DeployedOutputs,
  thing: FleetThingConfig,
  stackName: string,
  shard: number,
): Promise<ThingState> {
  const { config } = editable;
  const configured = {
    status: thing.status,
    quarantined: thing.quarantined,
    hasCsr: thing.csrPem !== undefined,
  };
  const notes: string[] = [];
  let certificateId: string | undefined;
  try {
    certificateId = await outputs.certificateId(thing.name, shard);
  } catch (error) {
    // A Fleet stack that is not deployed (yet) concerns its things only. Anything else (throttling, access
    // denied) is AWS not answering, which says nothing about what is deployed: it stops the command.
    if (!(error instanceof StackNotDeployedError)) throw error;
    return {
      thing: thing.name,
      stackName,
      config: configured,
      deployed: {
        certificateId: null,
        certificateStatus: null,
        certificateMatchesCsr: null,
        thingExists: false,
        quarantined: null,
      },
      verdict: 'not-deployed',
      notes: [error instanceof Error ? error.message : String(error)],
    };
  }

  const [certificate, attributes] = await Promise.all([
    certificateId ? describeCertificate(clients, editable, certificateId) : undefined,
    describeThingAttributes(clients, editable, thing.name),
  ]);
  const matches =
    certificate?.pem !== undefined && thing.csrPem !== undefined
      ? sameKey(certificate.pem, thing.csrPem)
      : null;
  const deployedQuarantine = attributes
    ? attributes[QUARANTINE_ATTRIBUTE.name] === QUARANTINE_ATTRIBUTE.value
    : null;

  let verdict: Verdict = 'in-sync';
  const pending = (note: string): void => {
    if (verdict === 'in-sync') verdict = 'deploy-pending';
    notes.push(note);
  };
  if (!attributes) pending(`thing ${thing.name} is not in AWS IoT yet: deploy ${stackName}`);
  else if (deployedQuarantine !== thing.quarantined) {
    pending(
      thing.quarantined
        ? `config quarantines ${thing.name} but AWS IoT does not: run \`npx keyless device quarantine --env ${config.envName} --thing ${thing.name}\` now, or deploy ${stackName}`
        : `AWS IoT still quarantines ${thing.name}: deploy ${stackName}, or run \`npx keyless device release --env ${config.envName} --thing ${thing.name}\``,
    );
  }
  if (certificate && matches === false) {
    pending(
      `the deployed certificate ${certificateId} is for another key than ${thing.csrFile}: deploying ${stackName} replaces it`,
    );
  } else if (certificate && !configured.hasCsr) {
    pending(
      `config has no CSR for ${thing.name}: deploying ${stackName} deletes its certificate ${certificateId}`,
    );
  } else if (certificate) {
    // A quarantined thing's active certificate deploys INACTIVE.
    const wanted = deployedCertificateStatus(thing);
    if (certificate.status === CERTIFICATE_STATUS.revoked && wanted !== certificate.status) {
      verdict = 'conflict';
      notes.push(
        `config says "${thing.status}" but certificate ${certificateId} is REVOKED, and AWS IoT cannot make a revoked certificate ${thing.status} again ` +
          `(a deploy would fail): put "status": "revoked" back, or give the device a new key and certificate with ` +
          `\`npx keyless enroll --env ${config.envName} --thing ${thing.name} --force\``,
      );
    } else if (certificate.status !== wanted) {
      pending(
        `certificate ${certificateId} is ${certificate.status} but config says "${thing.status}"${wanted === CERTIFICATE_STATUS[thing.status] ? '' : ` and quarantined (${wanted})`}: deploy ${stackName}` +
          (thing.status === 'active'
            ? ''
            : `, or run \`npx keyless device revoke --env ${config.envName} --thing ${thing.name}${thing.status === 'inactive' ? ' --inactive' : ''}\``),
      );
    }
  } else if (configured.hasCsr) {
    pending(`${thing.name} has a CSR but no deployed certificate: deploy ${stackName}`);
  }
  return {
    thing: thing.name,
    stackName,
    config: configured,
    deployed: {
      certificateId: certificateId ?? null,
      certificateStatus: certificate?.status ?? null,
      certificateMatchesCsr: matches,
      thingExists: attributes !== undefined,
      quarantined: deployedQuarantine,
    },
    verdict,
    notes,
  };
}

async function describeCertificate(
  clients: DeviceClients,
  editable: EditableConfig,
  certificateId: string,
): Promise<{ status: string; pem?: string } | undefined> {
  try {
    const description = (await clients.iot.send(new DescribeCertificateCommand({ certificateId })))
      .certificateDescription;
    return { status: description?.status ?? 'UNKNOWN', pem: description?.certificatePem };
  } catch (error) {
    if ((error as { name?: string }).name === 'ResourceNotFoundException') return undefined;
    throw describeAwsError(error, editable.config);
  }
}

/** The thing's attributes in AWS IoT, or undefined when there is no such thing. */
async function describeThingAttributes(
  clients: DeviceClients,
  editable: EditableConfig,
  thingName: string,
): Promise<Readonly<Record<string, string>> | undefined> {
  try {
    return (await clients.iot.send(new DescribeThingCommand({ thingName }))).attributes ?? {};
  } catch (error) {
    if ((error as { name?: string }).name === 'ResourceNotFoundException') return undefined;
    throw describeAwsError(error, editable.config);
  }
}

/** Whether a certificate was issued for the public key of a CSR; undefined-safe: unreadable PEM is "no". */
export function sameKey(certificatePem: string, csrPem: string): boolean {
  try {
    const certificateKey = new X509Certificate(certificatePem).publicKey.export({
      type: 'spki',
      format: 'der',
    });
    const request = new x509.Pkcs10CertificateRequest(csrPem);
    const csrKey = createPublicKey({
      key: Buffer.from(request.publicKey.rawData),
      format: 'der',
      type: 'spki',
    }).export({ type: 'spki', format: 'der' });
    return certificateKey.equals(csrKey);
  } catch {
    return false;
  }
}

/** `thingStatusOf` for display: the config word for an AWS status, or the AWS word when keyless has none. */
export function shownStatus(certificateStatus: string | null): string {
  if (certificateStatus === null) return '-';
  return thingStatusOf(certificateStatus) ?? certificateStatus;
}

/** One line per thing, then the notes, for people. */
export function renderStatus(states: readonly ThingState[]): string[] {
  const rows = states.map((s) => [
    s.thing,
    s.config.status + (s.config.quarantined ? ' quarantined' : ''),
    shownStatus(s.deployed.certificateStatus) + (s.deployed.quarantined ? ' quarantined' : ''),
    s.verdict,
  ]);
  const header = ['thing', 'in config', 'AWS IoT', 'verdict'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line), ...states.flatMap((s) => s.notes.map((n) => `${s.thing}: ${n}`))];
}
