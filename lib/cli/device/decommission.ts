import * as fs from 'node:fs';
import * as path from 'node:path';
import { certificateIdOutput, inRepository, thingDir, thingPrefix, type ThingStatus } from '../../contract';
import { layoutFleet, lockOf } from '../../fleet/placement';
import { renderShardLock } from '../../fleet/shard-lock';
import { bundleFile } from '../bundle/build';
import { removeThingFromConfigFile } from '../config-file-edits';
import type { ShardLockChange } from '../shard-lock-file';
import { placedThing, shown, type EditableConfig } from './context';
import { executeDeletion, mergePlans, planDirectoryDeletion, planFileDeletion } from './local-files';

export interface DecommissionResult {
  readonly env: string;
  readonly thing: string;
  readonly dryRun: boolean;
  readonly configFile: string;
  /** The certificate status the config had for it: anything but "revoked" leaves a usable certificate until the deploy. */
  readonly status: ThingStatus;
  readonly quarantined: boolean;
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
 * Retires a thing: removes it from `iot.things`, releases its slot in the shard lock (no other thing moves: things
 * the lock did not record yet are recorded where they are), and deletes its local files — `fleet/<env>/<thing>/`
 * (private key, CSR) and its bundles in `<outDir>/<env>/` — never anything else and never through a link. AWS is
 * not called: the next deploy of its Fleet stack deletes the thing, its certificate and their attachments.
 * With `dryRun`, says all of it and changes nothing.
 */
export function decommission(
  editable: EditableConfig,
  thingName: string,
  options: { readonly outDir: string; readonly dryRun?: boolean },
): DecommissionResult {
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

  if (!options.dryRun) {
    // Config first: if it cannot be written, nothing else has changed.
    removeThingFromConfigFile(editable.file, thingName, { validate: editable.validate });
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

function isInside(file: string, directory: string): boolean {
  const relative = path.relative(directory, file);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
}

/** For people: what changed (or would), what the next deploy deletes, and the revoke-first warning. */
export function describeDecommission(result: DecommissionResult): string[] {
  const would = result.dryRun ? 'would ' : '';
  const lines = [
    `${result.dryRun ? 'Dry run: nothing changed. ' : ''}${result.thing} ${result.dryRun ? 'would be' : 'is'} removed from ${result.configFile}.`,
  ];
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
  if (result.status !== 'revoked') {
    lines.push(
      `Its certificate stays ${result.status} until that deploy. If the device is lost or stolen, revoke it first ` +
        `(\`npx keyless device revoke --env ${result.env} --thing ${result.thing}\`, then deploy), and decommission after.`,
    );
  }
  return lines;
}
