import {
  ListStackResourcesCommand,
  ListStacksCommand,
  type StackStatus,
} from '@aws-sdk/client-cloudformation';
import { DescribeCertificateCommand } from '@aws-sdk/client-iot';
import pLimit from 'p-limit';
import { CERTIFICATE_STATUS, fleetStackName, shardOfStackName } from '../../contract';
import { layoutFleet } from '../../fleet/placement';
import { describeAwsError } from '../operator-clients';
import { DeployedOutputs, deployCommand } from '../deployed-outputs';
import { RemoteServiceError } from '../exit-codes';
import type { DeviceClients, EditableConfig } from './context';

/**
 * What is deployed that the config no longer has: Fleet stacks of the environment the app does not create any
 * more (their last thing was retired, or the config was edited by hand), and things a deployed Fleet stack still
 * holds that its shard no longer has. `device status`, `revoke` and `quarantine` know only the config's things,
 * so without this report such a thing — and its certificate, ACTIVE unless someone changed it — is invisible, and
 * `cdk deploy --all` never deletes a stack that left the app.
 */

/** A deployed Fleet stack the app no longer creates. */
export interface OrphanStack {
  readonly stackName: string;
  readonly stackStatus: string;
  /** The things it holds (AWS::IoT::Thing resources). */
  readonly things: readonly string[];
  /** The command that removes it, with everything it holds. */
  readonly remove: string;
}

/** A thing a deployed Fleet stack holds and the config does not (in that shard). */
export interface OrphanThing {
  readonly thing: string;
  readonly stackName: string;
  /** Its certificate, from the stack's output; null when the stack names none. */
  readonly certificateId: string | null;
  /** AWS IoT's status of that certificate; null when there is none (or AWS IoT does not have it). */
  readonly certificateStatus: string | null;
  /** The command that removes it: its stack's deploy, or the stack's deletion when the app no longer has it. */
  readonly remove: string;
  /** When its certificate is still ACTIVE: the command that cuts it off now, before the removal. */
  readonly cutOffNow: string | null;
}

export interface Orphans {
  readonly stacks: readonly OrphanStack[];
  readonly things: readonly OrphanThing[];
}

/** Every status but DELETE_COMPLETE: a stack in any of them still exists (and may hold resources). */
const EXISTING_STACK_STATUSES: StackStatus[] = [
  'CREATE_IN_PROGRESS',
  'CREATE_FAILED',
  'CREATE_COMPLETE',
  'ROLLBACK_IN_PROGRESS',
  'ROLLBACK_FAILED',
  'ROLLBACK_COMPLETE',
  'DELETE_IN_PROGRESS',
  'DELETE_FAILED',
  'UPDATE_IN_PROGRESS',
  'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS',
  'UPDATE_COMPLETE',
  'UPDATE_FAILED',
  'UPDATE_ROLLBACK_IN_PROGRESS',
  'UPDATE_ROLLBACK_FAILED',
  'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS',
  'UPDATE_ROLLBACK_COMPLETE',
  'REVIEW_IN_PROGRESS',
  'IMPORT_IN_PROGRESS',
  'IMPORT_COMPLETE',
  'IMPORT_ROLLBACK_IN_PROGRESS',
  'IMPORT_ROLLBACK_FAILED',
  'IMPORT_ROLLBACK_COMPLETE',
];

/** Pages any one listing may take before it is treated as a broken answer. */
const MAX_PAGES = 10_000;

/**
 * The environment's orphans: ListStacks (every page, every status but DELETE_COMPLETE) for
 * `KeylessIot-<env>-Fleet-<n>`, then for each such stack its `AWS::IoT::Thing` resources (ListStackResources,
 * every page) and certificate outputs (through {@link DeployedOutputs}), compared with the shards the config lays out; the certificate of each
 * orphan thing is described in AWS IoT (DescribeCertificate). AWS failing to answer stops the command: a report
 * that silently left something out would be worse than none.
 */
export async function findOrphans(editable: EditableConfig, clients: DeviceClients): Promise<Orphans> {
  const { config } = editable;
  const layout = config.fleet ? layoutFleet(config.fleet.things, config.fleet.shardLock) : undefined;
  const configured = new Map<number, Set<string>>();
  for (const thing of layout?.things ?? []) {
    if (!configured.has(thing.shard)) configured.set(thing.shard, new Set());
    configured.get(thing.shard)!.add(thing.name);
  }

  const deployed = await deployedFleetStacks(editable, clients);
  const limit = pLimit(4);
  const perStack = await Promise.all(
    deployed.map((stack) =>
      limit(async () => ({ stack, things: await thingsOf(editable, clients, stack.stackName) })),
    ),
  );

  const stacks: OrphanStack[] = [];
  const candidates: { thing: string; stackName: string; remove: string }[] = [];
  for (const { stack, things } of perStack) {
    const wanted = configured.get(stack.shard);
    if (!wanted) {
      const remove = `aws cloudformation delete-stack --region ${config.region} --stack-name ${stack.stackName}`;
      stacks.push({ stackName: stack.stackName, stackStatus: stack.status, things, remove });
      candidates.push(...things.map((thing) => ({ thing, stackName: stack.stackName, remove })));
    } else {
      const remove = deployCommand(config, stack.stackName);
      for (const thing of things.filter((name) => !wanted.has(name))) {
        candidates.push({ thing, stackName: stack.stackName, remove });
      }
    }
  }

  const outputs = new DeployedOutputs(clients.cloudFormation, config);
  const things = await Promise.all(
    candidates.map((candidate) =>
      limit(async (): Promise<OrphanThing> => {
        const certificateId =
          (await outputs.certificateIdInAnyState(candidate.stackName, candidate.thing)) ?? null;
        const certificateStatus = certificateId
          ? await certificateStatusOf(editable, clients, certificateId)
          : null;
        return {
          ...candidate,
          certificateId,
          certificateStatus,
          cutOffNow:
            certificateId && certificateStatus === CERTIFICATE_STATUS.active
              ? `aws iot update-certificate --region ${config.region} --certificate-id ${certificateId} --new-status INACTIVE`
              : null,
        };
      }),
    ),
  );
  return { stacks, things };
}

interface DeployedFleetStack {
  readonly stackName: string;
  readonly shard: number;
  readonly status: string;
}

async function deployedFleetStacks(
  editable: EditableConfig,
  clients: DeviceClients,
): Promise<DeployedFleetStack[]> {
  const { config } = editable;
  const found = new Map<string, DeployedFleetStack>();
  const tokens = new Set<string>();
  let nextToken: string | undefined;
  let pages = 0;
  try {
    do {
      const page = await clients.cloudFormation.send(
        new ListStacksCommand({ StackStatusFilter: EXISTING_STACK_STATUSES, NextToken: nextToken }),
      );
      for (const summary of page.StackSummaries ?? []) {
        const name = summary.StackName;
        if (!name || summary.StackStatus === 'DELETE_COMPLETE') continue;
        const shard = shardOfStackName(config.envName, name);
        // The name is the environment's own Fleet stack name only if it spells it exactly (no leading zeros).
        if (shard === undefined || fleetStackName(config.envName, shard) !== name) continue;
        found.set(name, { stackName: name, shard, status: summary.StackStatus ?? 'UNKNOWN' });
      }
      nextToken = nextPage(page.NextToken, tokens, ++pages, 'ListStacks');
    } while (nextToken);
  } catch (error) {
    if (error instanceof RemoteServiceError) throw error;
    throw describeAwsError(error, config);
  }
  return [...found.values()].sort((a, b) => a.shard - b.shard);
}

/** The names of the AWS::IoT::Thing resources a stack holds (every page; deleted ones left out). */
async function thingsOf(
  editable: EditableConfig,
  clients: DeviceClients,
  stackName: string,
): Promise<string[]> {
  const things = new Set<string>();
  const tokens = new Set<string>();
  let nextToken: string | undefined;
  let pages = 0;
  try {
    do {
      const page = await clients.cloudFormation.send(
        new ListStackResourcesCommand({ StackName: stackName, NextToken: nextToken }),
      );
      for (const resource of page.StackResourceSummaries ?? []) {
        if (resource.ResourceType !== 'AWS::IoT::Thing' || resource.ResourceStatus === 'DELETE_COMPLETE')
          continue;
        // A thing still being created has no physical id yet: it is named by its logical id, so it is not lost.
        things.add(
          resource.PhysicalResourceId || `(not created yet: ${resource.LogicalResourceId ?? 'unknown'})`,
        );
      }
      nextToken = nextPage(page.NextToken, tokens, ++pages, `ListStackResources of ${stackName}`);
    } while (nextToken);
  } catch (error) {
    if (error instanceof RemoteServiceError) throw error;
    throw describeAwsError(error, editable.config);
  }
  return [...things].sort();
}

async function certificateStatusOf(
  editable: EditableConfig,
  clients: DeviceClients,
  certificateId: string,
): Promise<string | null> {
  try {
    const answer = await clients.iot.send(new DescribeCertificateCommand({ certificateId }));
    const status = answer.certificateDescription?.status;
    if (!status) throw new RemoteServiceError(`AWS IoT answered no status for certificate ${certificateId}`);
    return status;
  } catch (error) {
    if ((error as { name?: string }).name === 'ResourceNotFoundException') return null;
    if (error instanceof RemoteServiceError) throw error;
    throw describeAwsError(error, editable.config);
  }
}

function nextPage(
  token: string | undefined,
  seen: Set<string>,
  pages: number,
  what: string,
): string | undefined {
  if (!token) return undefined;
  if (seen.has(token) || pages >= MAX_PAGES)
    throw new RemoteServiceError(`CloudFormation ${what} repeated a page token`);
  seen.add(token);
  return token;
}

/** For people: one line per orphan stack and thing, with what removes it. */
export function renderOrphans(orphans: Orphans): string[] {
  const lines: string[] = [];
  for (const stack of orphans.stacks) {
    lines.push(
      `orphan stack ${stack.stackName} (${stack.stackStatus}): deployed, but the app no longer has it, so \`cdk deploy\` never changes or deletes it; ` +
        `it holds ${stack.things.length} thing(s)${stack.things.length > 0 ? ` (${stack.things.join(', ')})` : ''}. Remove it: ${stack.remove}`,
    );
  }
  for (const thing of orphans.things) {
    lines.push(
      `orphan thing ${thing.thing} in ${thing.stackName}: not in the config` +
        (thing.certificateId
          ? `; certificate ${thing.certificateId} is ${thing.certificateStatus ?? 'not in AWS IoT'}`
          : '; no certificate output') +
        (thing.cutOffNow ? `. Cut it off now: ${thing.cutOffNow}` : '') +
        `. Remove it: ${thing.remove}`,
    );
  }
  return lines;
}
