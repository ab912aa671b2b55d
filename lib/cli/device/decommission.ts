import * as fs from 'node:fs';
import * as path from 'node:path';
import { UpdateCertificateCommand } from '@aws-sdk/client-iot';
import { ConfigError } from '../../config';
import {
  CERTIFICATE_STATUS,
  certificateIdOutput,
  inRepository,
  thingDir,
  thingPrefix,
  type ThingStatus,
} from '../../contract';
import { layoutFleet, lockOf } from '../../fleet/placement';
import { renderShardLock } from '../../fleet/shard-lock';
import { bundleFile } from '../bundle/build';
import { assertCallerMatches, describeAwsError } from '../operator-clients';
import { removeThingFromConfigFile } from '../config-file-edits';
import { DeployedOutputs, StackAbsentError } from '../deployed-outputs';
import { RemoteServiceError } from '../exit-codes';
import type { ShardLockChange } from '../shard-lock-file';
import { placedThing, shown, type DeviceClients, type EditableConfig, type PlacedThing } from './context';
import { executeDeletion, mergePlans, planDirectoryDeletion, planFileDeletion } from './local-files';
import { describeStatus } from './revoke';

/** What decommission did to the thing's deployed certificate before it touched the config. */
export interface DecommissionCertificate {
  readonly certificateId: string;
  /** AWS IoT's status before the command. */
  readonly previousStatus: string;
  /** Its status now (with dryRun: what it would be). */
  readonly status: string;
  /** Whether UpdateCertificate was called (or, with dryRun, would be). */
  readonly updated: boolean;
}

export interface DecommissionResult {
  readonly env: string;
  readonly thing: string;
  readonly dryRun: boolean;
  readonly configFile: string;
  /** The certificate status the config had for it: anything but "revoked" leaves a usable certificate until the deploy. */
  readonly status: ThingStatus;
  readonly quarantined: boolean;
  /**
   * The deployed certificate, cut off before anything else changed: null when there is none to cut off (no
   * CSR, its Fleet stack not deployed, or the stack has no certificate for it).
   */
  readonly certificate: DecommissionCertificate | null;
  /** Why {@link certificate} is null; null when it is not. */
  readonly noCertificateReason: string | null;
  /** What the shard lock records now (null when it did not change). */
  readonly shardLock: ShardLockChange | null;
  /** Local files deleted (or, with dryRun, that would be). */
  readonly deleted: readonly string[];
  /** Files of the thing left in place, with why. */
  readonly kept: readonly string[];
  readonly stackName: string;
  /** What deploying the thing's Fleet stack deletes. */
  readonly nextDeployDeletes: readonly string[];
  /**
   * Whether it was the last thing of its Fleet stack. The app then has no such stack any more, so `cdk deploy`
   * cannot select it and would leave it (and the certificate) deployed: the stack is deleted instead.
   */
  readonly stackEmptied: boolean;
  /** What applies the retirement in AWS: the stack's deploy, or its deletion when {@link stackEmptied}. */
  readonly deployCommand: string;
}

/**
 * Retires a thing. First AWS: its deployed certificate (the one its Fleet stack output names) is set INACTIVE
 * unless it is already INACTIVE or REVOKED, so the device loses access now rather than at a deploy that, for the
 * last thing of a shard, `cdk deploy --all` never runs (the stack has left the app). If that fails nothing
 * local changes. Then: removes it from `iot.things`, releases its slot in the shard lock (no other thing moves:
 * things the lock did not record yet are recorded where they are), and deletes its local files —
 * `fleet/<env>/<thing>/` (private key, CSR) and its bundles in `<outDir>/<env>/` — never anything else and never
 * through a link. The next deploy of its Fleet stack (or the stack's deletion) deletes the thing, its certificate
 * and their attachments. With `dryRun`, reads AWS, says all of it and changes nothing.
 */
export async function decommission(
  editable: EditableConfig,
  clients: DeviceClients,
  thingName: string,
  options: { readonly outDir: string; readonly dryRun?: boolean },
): Promise<DecommissionResult> {
  const { config, repoRoot } = editable;
  const placed = placedThing(config, thingName);
  const { thing } = placed;
  const fleet = config.fleet!;
  const envName = config.envName;

  const ownDir = thingDir(envName, thingName);
  const bundle = path.basename(bundleFile(options.outDir, envName, thingName));
  const plan = mergePlans(
    planDirectoryDeletion(repoRoot, ownDir),
    // The archive, and what a bundle run killed before its rename left (`<name>.tar.gz.<pid>.tmp`).
    planFileDeletion(
      options.outDir,
      envName,
      (name) =>
        name === bundle ||
        (name.startsWith(`${bundle}.`) && /^\d+\.tmp$/.test(name.slice(bundle.length + 1))),
    ),
  );
  const kept: string[] = [];
  const csr = inRepository(repoRoot, thing.csrFile);
  if (!isInside(csr, inRepository(repoRoot, ownDir)) && fs.existsSync(csr)) {
    kept.push(
      `${thing.csrFile} (csrFile names it outside ${ownDir}/: delete it by hand if nothing else uses it)`,
    );
  }
  kept.push(
    `${thingPrefix(thingName)} in the device bucket (${config.names.deviceBucket}): what the device uploaded stays`,
  );

  // Everyone keeps the shard they have now: the lock records the layout as it is, minus the retired thing.
  const before = layoutFleet(fleet.things, fleet.shardLock);
  const recorded = lockOf(before);
  const assignments = new Map(Object.entries(recorded.assignments).filter(([name]) => name !== thingName));
  const remaining = fleet.things.filter((t) => t.name !== thingName);
  const after = layoutFleet(remaining, { ...recorded, assignments: Object.fromEntries(assignments) });
  // By name through a map: a scan per thing made this quadratic, minutes at 50,000 things.
  const shardBefore = new Map(before.things.map((t) => [t.name, t.shard]));
  const moved = after.things.filter((t) => t.shard !== shardBefore.get(t.name));
  if (moved.length > 0 || after.unrecorded.length > 0) {
    throw new Error(
      `decommissioning ${thingName} would move ${moved.map((t) => t.name).join(', ')}: nothing changed`,
    );
  }
  const lockChanged =
    JSON.stringify(Object.fromEntries(assignments)) !== JSON.stringify(fleet.shardLock.assignments) ||
    !fs.existsSync(fleet.lockFile);
  const shardLock: ShardLockChange | null = lockChanged
    ? {
        lockFile: fleet.lockFileShown,
        placed: Object.fromEntries(
          before.unrecorded.filter((n) => n !== thingName).map((n) => [n, recorded.assignments[n]]),
        ),
        released: thingName in fleet.shardLock.assignments ? [thingName] : [],
      }
    : null;

  const stackEmptied = !after.things.some((t) => t.shard === placed.shard);
  const nextDeployDeletes = [
    `thing ${thingName} (AWS::IoT::Thing)`,
    ...(thing.csrPem !== undefined
      ? [
          `its certificate (AWS::IoT::Certificate, deactivated first unless revoked) and the stack output ${certificateIdOutput(thingName).key}`,
          "the certificate's attachments to the thing and to the IoT policy",
        ]
      : []),
  ];

  // Everything local that can be checked is checked before AWS changes: the edit must be one the loader accepts.
  removeThingFromConfigFile(editable.file, thingName, { validate: editable.validate, dryRun: true });
  const { certificate, noCertificateReason } = await cutOffCertificate(
    editable,
    clients,
    placed,
    Boolean(options.dryRun),
  );

  if (!options.dryRun) {
    // The config next: if it cannot be written, no local file has changed either.
    try {
      removeThingFromConfigFile(editable.file, thingName, { validate: editable.validate });
    } catch (error) {
      if (!certificate?.updated) throw error;
      throw new ConfigError(
        `certificate ${certificate.certificateId} of thing ${thingName} is INACTIVE in AWS IoT, but ${shown(editable.file)} could not be written ` +
          `(${error instanceof Error ? error.message : String(error)}): set "status": "inactive" on ${thingName} before any deploy ` +
          '(a deploy of the config as it is makes the certificate ACTIVE again), then run the command again',
        { cause: error },
      );
    }
    if (lockChanged) {
      const partial = `${fleet.lockFile}.${process.pid}.tmp`;
      fs.mkdirSync(path.dirname(fleet.lockFile), { recursive: true });
      fs.writeFileSync(partial, renderShardLock(recorded.maxThingsPerShard, assignments));
      fs.renameSync(partial, fleet.lockFile);
    }
    executeDeletion(plan);
  }
  return {
    env: envName,
    thing: thingName,
    dryRun: Boolean(options.dryRun),
    configFile: shown(editable.file),
    status: thing.status,
    quarantined: thing.quarantined,
    certificate,
    noCertificateReason,
    shardLock,
    deleted: [...plan.files, ...plan.directories].map(shown),
    kept,
    stackName: placed.stackName,
    nextDeployDeletes,
    stackEmptied,
    deployCommand: stackEmptied
      ? `aws cloudformation delete-stack --region ${config.region} --stack-name ${placed.stackName}`
      : placed.deployCommand,
  };
}

/**
 * Sets the thing's deployed certificate INACTIVE (with dryRun: reads only). INACTIVE rather than REVOKED: both
 * make AWS IoT refuse it at once and both can be deleted by the deploy that follows, and retiring a working device
 * does not say its key is known. Anything AWS answers that is not understood stops the command before any
 * change: a certificate the stack names but AWS IoT does not have, a stack being deployed, an API error.
 */
async function cutOffCertificate(
  editable: EditableConfig,
  clients: DeviceClients,
  placed: PlacedThing,
  dryRun: boolean,
): Promise<{ certificate: DecommissionCertificate | null; noCertificateReason: string | null }> {
  const { config } = editable;
  const thingName = placed.thing.name;
  await assertCallerMatches(clients, config);
  let certificateId: string | undefined;
  try {
    certificateId = await new DeployedOutputs(clients.cloudFormation, config).certificateId(
      thingName,
      placed.shard,
    );
  } catch (error) {
    // Only a stack CloudFormation does not have at all holds no certificate; one being deployed, or failed,
    // may: it stops the command, as any other failure to answer does.
    if (!(error instanceof StackAbsentError)) throw error;
    return {
      certificate: null,
      noCertificateReason: `${placed.stackName} is not deployed, so no certificate of ${thingName} was deployed with it`,
    };
  }
  if (!certificateId) {
    return {
      certificate: null,
      noCertificateReason:
        `${placed.stackName} has no output ${certificateIdOutput(thingName).key}: no certificate of ${thingName} was deployed with it. ` +
        `A certificate made outside its Fleet stack (keyless fleet register --bulk) is not touched: \`aws iot list-thing-principals --thing-name ${thingName}\``,
    };
  }
  const previousStatus = await describeStatus(clients, editable, certificateId, thingName);
  const alreadyCut =
    previousStatus === CERTIFICATE_STATUS.inactive || previousStatus === CERTIFICATE_STATUS.revoked;
  if (!alreadyCut && !dryRun) {
    try {
      await clients.iot.send(
        new UpdateCertificateCommand({ certificateId, newStatus: CERTIFICATE_STATUS.inactive }),
      );
    } catch (error) {
      const cause = describeAwsError(error, config);
      throw new RemoteServiceError(
        `AWS IoT did not set certificate ${certificateId} of thing ${thingName} INACTIVE: ${cause.message}. ` +
          `Nothing changed (${shown(editable.file)}, its key, CSR and bundle untouched); fix the cause and run the command again`,
        { cause },
      );
    }
  }
  return {
    certificate: {
      certificateId,
      previousStatus,
      status: alreadyCut ? previousStatus : CERTIFICATE_STATUS.inactive,
      updated: !alreadyCut,
    },
    noCertificateReason: null,
  };
}

function isInside(file: string, directory: string): boolean {
  const relative = path.relative(directory, file);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
}

/** For people: what changed (or would), what the next deploy deletes, and the revoke-first warning. */
export function describeDecommission(result: DecommissionResult): string[] {
  const would = result.dryRun ? 'would ' : '';
  const lines = [`${result.dryRun ? 'Dry run: nothing changed. ' : ''}${certificateLine(result)}`];
  lines.push(`${result.thing} ${result.dryRun ? 'would be' : 'is'} removed from ${result.configFile}.`);
  if (result.shardLock) {
    const placed = Object.keys(result.shardLock.placed);
    lines.push(
      `${result.shardLock.lockFile} ${would}release${result.dryRun ? '' : 's'} its slot on ${result.stackName}` +
        (placed.length > 0
          ? ` and ${would}record${result.dryRun ? '' : 's'} ${placed.length} thing(s) where they are (${placed.join(', ')})`
          : '') +
        '; no other thing moves. Commit it with the config.',
    );
  }
  lines.push(
    result.deleted.length > 0
      ? `${result.dryRun ? 'Would delete' : 'Deleted'}: ${result.deleted.join(', ')}`
      : 'No local key, CSR or bundle to delete.',
  );
  for (const kept of result.kept) lines.push(`Kept: ${kept}`);
  lines.push(
    result.stackEmptied
      ? `${result.thing} was the last thing of ${result.stackName}: the app no longer has that stack, so \`cdk deploy\` leaves it deployed. ` +
          `Delete the stack, which deletes ${result.nextDeployDeletes.join('; ')}: ${result.deployCommand}`
      : `Deploying ${result.stackName} deletes ${result.nextDeployDeletes.join('; ')}: ${result.deployCommand}`,
  );
  if (result.certificate?.status !== CERTIFICATE_STATUS.revoked) {
    lines.push(
      'Credentials it was issued before stay valid until they expire (iot.roleAlias.credentialDurationSeconds). ' +
        `If the device is lost or stolen, its key is known: revoke it for good first (\`npx keyless device revoke --env ${result.env} --thing ${result.thing}\`), then decommission.`,
    );
  }
  return lines;
}

function certificateLine(result: DecommissionResult): string {
  const cert = result.certificate;
  if (!cert) return `No deployed certificate to deactivate: ${result.noCertificateReason}.`;
  if (!cert.updated) {
    return `Certificate ${cert.certificateId} of ${result.thing} is already ${cert.previousStatus}: AWS IoT refuses it.`;
  }
  return result.dryRun
    ? `Would set certificate ${cert.certificateId} of ${result.thing} INACTIVE in AWS IoT (it is ${cert.previousStatus}) before changing anything else.`
    : `Certificate ${cert.certificateId} of ${result.thing} is now INACTIVE in AWS IoT (was ${cert.previousStatus}): the device is refused from now on.`;
}
