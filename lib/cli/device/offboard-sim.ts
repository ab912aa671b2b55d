import {
  DeleteIdentitiesCommand,
  LookupDeveloperIdentityCommand,
  UnlinkDeveloperIdentityCommand,
} from '@aws-sdk/client-cognito-identity';
import {
  BatchWriteItemCommand,
  QueryCommand,
  type AttributeValue,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import type { KeylessConfig } from '../../config';
import type { KryptonConfig } from '../../config/sections/krypton';
import { BUCKET_LAYOUT, LIFECYCLE_RULES, OUTPUTS, follows } from '../../contract';
import {
  checkedSoracomEndpoint,
  SoracomClient,
  soracomEndpoint,
  type SoracomSim,
} from '../../soracom/api-client';
import { assertCallerMatches, describeAwsError } from '../bundle/aws';
import { DeployedOutputs } from '../deployed-outputs';
import { ConfigurationError, RemoteServiceError, UsageError } from '../exit-codes';
import { soracomAuthKey, withSoracomOutcomes, type SoracomAuthKey } from '../soracom-credentials';
import type { DeviceClients } from './context';

/**
 * Ends a Krypton SIM's access and removes what it left, in the order that closes the door first:
 *
 * 1. SORACOM (with `--sim-id`): `POST /v1/sims/{sim_id}/suspend`. Only SORACOM can stop a SIM from asking
 *    Krypton again: Cognito treats an unlinked developer user as a new identity the next time it is seen
 *    (UnlinkDeveloperIdentity API reference), so without this step the SIM gets a fresh identity — with an empty
 *    partition and prefix, but access all the same — at its next Krypton request.
 * 2. Cognito: every developer user identifier linked to the identity is unlinked ("if … you remove all federated
 *    identities as well as the developer user identifier, the Cognito identity becomes inaccessible"), then the
 *    identity is deleted (DeleteIdentities). No new credentials are issued for it; credentials issued before stay
 *    valid until they expire (Cognito's are valid for at most an hour).
 * 3. Data (unless `keepData`): every item of the device table whose partition key is the identity id — its
 *    partition — Query (keys only, consistent, every page) then BatchWriteItem deletes of 25, retrying unprocessed
 *    items with backoff. The bucket prefixes are named for the operator, not deleted (the bucket keeps versions).
 *
 * Every step is safe to run again: an identity already gone is reported and the rest goes on.
 */

export interface OffboardSimOptions {
  readonly identityId: string;
  /** Suspend this SIM at SORACOM first. */
  readonly simId?: string;
  /** Keep the device-table partition (for an investigation, say). */
  readonly keepData?: boolean;
}

export interface OffboardSimIo {
  readonly env: NodeJS.ProcessEnv;
  readonly askAuthKey?: () => Promise<SoracomAuthKey>;
  readonly note: (line: string) => void;
  readonly fetchImpl?: typeof fetch;
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface OffboardSimResult {
  readonly env: string;
  readonly identityId: string;
  readonly identityPoolId: string;
  /** The SIM as SORACOM answered after suspending it; null without `--sim-id`. */
  readonly sim: { readonly simId: string; readonly status: string } | null;
  /** The developer user identifiers (Krypton's names for the SIM) unlinked from the identity. */
  readonly unlinked: readonly string[];
  /** False when the identity was already gone. */
  readonly identityDeleted: boolean;
  readonly table: string;
  /** Items deleted from the partition; null with `keepData`. */
  readonly itemsDeleted: number | null;
  /** Bucket prefixes that still hold what the SIM uploaded. */
  readonly bucketPrefixes: readonly string[];
}

/** What the SAM user needs for `--sim-id`. */
const SUSPEND_PERMISSION = 'Sim:suspendSim';

export async function offboardSim(
  config: KeylessConfig,
  clients: DeviceClients,
  options: OffboardSimOptions,
  io: OffboardSimIo,
): Promise<OffboardSimResult> {
  const krypton = config.krypton;
  if (!krypton) {
    throw new ConfigurationError(
      `environment ${config.envName} has no krypton section in ${config.configFile}`,
    );
  }
  const { identityId } = options;
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
  if (options.simId !== undefined && !follows(LIFECYCLE_RULES.soracomSimId, options.simId)) {
    throw new UsageError(
      `--sim-id must be ${LIFECYCLE_RULES.soracomSimId.description}, got: ${options.simId}`,
    );
  }
  // The auth key goes to this endpoint: refuse plain http before it is read.
  let soracomApi: string | undefined;
  if (options.simId !== undefined) {
    try {
      soracomApi = checkedSoracomEndpoint(
        io.env.SORACOM_API_ENDPOINT || soracomEndpoint(krypton.coverage),
        'SORACOM_API_ENDPOINT',
      );
    } catch (error) {
      throw new UsageError(error instanceof Error ? error.message : String(error));
    }
  }

  await assertCallerMatches(clients, config);
  const outputs = new DeployedOutputs(clients.cloudFormation, config);
  const identityPoolId = await outputs.require(OUTPUTS.KryptonAccess.identityPoolId);
  const developerProviderName = await outputs.require(OUTPUTS.KryptonAccess.developerProviderName);

  const sim = options.simId !== undefined ? await suspend(krypton, soracomApi!, options.simId, io) : null;
  if (sim) io.note(`SORACOM: SIM ${sim.simId} is ${sim.status}.`);

  const { unlinked, existed } = await endIdentity(
    clients,
    config,
    identityPoolId,
    developerProviderName,
    identityId,
  );
  io.note(
    existed
      ? `Cognito: identity ${identityId} unlinked (${unlinked.length} developer user id(s)) and deleted.`
      : `Cognito: identity ${identityId} does not exist (already deleted).`,
  );

  const table = config.names.deviceTable;
  let itemsDeleted: number | null = null;
  if (!options.keepData) {
    itemsDeleted = await deletePartition(clients, config, {
      table,
      partitionKey: config.data.deviceTable.partitionKey,
      sortKey: config.data.deviceTable.sortKey,
      value: identityId,
      sleep: io.sleep,
    });
    io.note(`DynamoDB: ${itemsDeleted} item(s) deleted from partition ${identityId} of ${table}.`);
  }
  const bucketPrefixes = [
    `${BUCKET_LAYOUT.krypton}${identityId}/`,
    ...(config.closedNetwork ? [`${config.closedNetwork.prefix}${identityId}/`] : []),
  ];
  return {
    env: config.envName,
    identityId,
    identityPoolId,
    sim: sim ? { simId: sim.simId, status: sim.status } : null,
    unlinked,
    identityDeleted: existed,
    table,
    itemsDeleted,
    bucketPrefixes,
  };
}

async function suspend(
  krypton: KryptonConfig,
  endpoint: string,
  simId: string,
  io: OffboardSimIo,
): Promise<SoracomSim> {
  const auth = await soracomAuthKey(io, `suspend SIMs (${SUSPEND_PERMISSION})`);
  return withSoracomOutcomes(krypton.coverage, async () => {
    const soracom = await SoracomClient.login({
      endpoint,
      ...auth,
      fetchImpl: io.fetchImpl,
      sleep: async (ms) => {
        io.note(`SORACOM API rate limit reached: waiting ${Math.ceil(ms / 1000)} s before retrying`);
        await (io.sleep ?? ((wait) => new Promise((resolve) => setTimeout(resolve, wait))))(ms);
      },
    });
    return soracom.suspendSim(simId);
  });
}

/** Unlinks every developer user identifier of the identity, then deletes it. */
async function endIdentity(
  clients: DeviceClients,
  config: KeylessConfig,
  identityPoolId: string,
  developerProviderName: string,
  identityId: string,
): Promise<{ unlinked: string[]; existed: boolean }> {
  const linked: string[] = [];
  let nextToken: string | undefined;
  const tokens = new Set<string>();
  try {
    do {
      const page = await clients.cognitoIdentity.send(
        new LookupDeveloperIdentityCommand({
          IdentityPoolId: identityPoolId,
          IdentityId: identityId,
          MaxResults: 60,
          NextToken: nextToken,
        }),
      );
      if (page.IdentityId !== undefined && page.IdentityId !== identityId) {
        throw new RemoteServiceError(
          `Cognito answered identity ${page.IdentityId} when asked about ${identityId}: nothing unlinked or deleted`,
        );
      }
      linked.push(...(page.DeveloperUserIdentifierList ?? []));
      nextToken = page.NextToken || undefined;
      if (nextToken !== undefined) {
        if (tokens.has(nextToken))
          throw new RemoteServiceError('Cognito LookupDeveloperIdentity repeated a page token');
        tokens.add(nextToken);
      }
    } while (nextToken);
  } catch (error) {
    if ((error as { name?: string }).name === 'ResourceNotFoundException')
      return { unlinked: [], existed: false };
    if (error instanceof RemoteServiceError) throw error;
    throw describeAwsError(error, config);
  }
  try {
    for (const developerUserIdentifier of linked) {
      await clients.cognitoIdentity.send(
        new UnlinkDeveloperIdentityCommand({
          IdentityId: identityId,
          IdentityPoolId: identityPoolId,
          DeveloperProviderName: developerProviderName,
          DeveloperUserIdentifier: developerUserIdentifier,
        }),
      );
    }
    const answer = await clients.cognitoIdentity.send(
      new DeleteIdentitiesCommand({ IdentityIdsToDelete: [identityId] }),
    );
    const unprocessed = answer.UnprocessedIdentityIds ?? [];
    if (unprocessed.length > 0) {
      throw new RemoteServiceError(
        `Cognito did not delete identity ${identityId} (${unprocessed.map((u) => u.ErrorCode ?? 'no error code').join(', ')}): run the command again`,
      );
    }
  } catch (error) {
    if (error instanceof RemoteServiceError) throw error;
    throw describeAwsError(error, config);
  }
  return { unlinked: linked, existed: true };
}

export interface PartitionDeletion {
  readonly table: string;
  readonly partitionKey: string;
  readonly sortKey: string;
  /** The partition key value: the identity id. */
  readonly value: string;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Attempts for one batch whose items DynamoDB leaves unprocessed. @default 8 */
  readonly maxAttempts?: number;
}

/** DynamoDB's most write requests in one BatchWriteItem. */
const BATCH_WRITE_LIMIT = 25;

/**
 * Deletes every item of one partition: Query (keys only, strongly consistent) page by page, each page deleted in
 * BatchWriteItem calls of at most 25, unprocessed items sent again with exponential backoff and jitter (what the
 * DynamoDB API reference asks for). Returns how many items were deleted. An answer without the key attributes
 * stops it: a key it cannot read is an item it cannot delete.
 */
export async function deletePartition(
  clients: Pick<DeviceClients, 'dynamoDb'>,
  config: KeylessConfig,
  target: PartitionDeletion,
): Promise<number> {
  const sleep = target.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const maxAttempts = target.maxAttempts ?? 8;
  let deleted = 0;
  let startKey: Record<string, AttributeValue> | undefined;
  const seen = new Set<string>();
  try {
    do {
      const page = await clients.dynamoDb.send(
        new QueryCommand({
          TableName: target.table,
          KeyConditionExpression: '#pk = :id',
          ExpressionAttributeNames: { '#pk': target.partitionKey, '#sk': target.sortKey },
          ExpressionAttributeValues: { ':id': { S: target.value } },
          ProjectionExpression: '#pk, #sk',
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      const keys = (page.Items ?? []).map((item, index) => {
        const pk = item[target.partitionKey];
        const sk = item[target.sortKey];
        if (pk?.S !== target.value || sk === undefined) {
          throw new RemoteServiceError(
            `DynamoDB answered item ${index} of partition ${target.value} in ${target.table} without its key (${target.partitionKey}, ${target.sortKey}): stopped after deleting ${deleted}`,
          );
        }
        return { [target.partitionKey]: pk, [target.sortKey]: sk };
      });
      for (let i = 0; i < keys.length; i += BATCH_WRITE_LIMIT) {
        const batch = keys.slice(i, i + BATCH_WRITE_LIMIT);
        await writeAll(
          clients,
          target,
          batch.map((Key) => ({ DeleteRequest: { Key } })),
          sleep,
          maxAttempts,
        );
        deleted += batch.length;
      }
      startKey = page.LastEvaluatedKey;
      if (startKey) {
        const marker = JSON.stringify(startKey);
        if (seen.has(marker))
          throw new RemoteServiceError(`DynamoDB repeated a page of partition ${target.value}`);
        seen.add(marker);
      }
    } while (startKey);
  } catch (error) {
    if (error instanceof RemoteServiceError) throw error;
    throw describeAwsError(error, config);
  }
  return deleted;
}

async function writeAll(
  clients: Pick<DeviceClients, 'dynamoDb'>,
  target: PartitionDeletion,
  requests: WriteRequest[],
  sleep: (ms: number) => Promise<void>,
  maxAttempts: number,
): Promise<void> {
  let pending = requests;
  for (let attempt = 1; pending.length > 0; attempt += 1) {
    if (attempt > 1) {
      if (attempt > maxAttempts) {
        throw new RemoteServiceError(
          `DynamoDB left ${pending.length} item(s) of partition ${target.value} unprocessed after ${maxAttempts} attempts (throttled): run the command again`,
        );
      }
      const backoff = Math.min(5000, 50 * 2 ** (attempt - 2));
      await sleep(backoff / 2 + Math.random() * (backoff / 2));
    }
    const answer = await clients.dynamoDb.send(
      new BatchWriteItemCommand({ RequestItems: { [target.table]: pending } }),
    );
    pending = answer.UnprocessedItems?.[target.table] ?? [];
  }
}

/** For people: what was done, what is left, and in which order it matters. */
export function describeOffboarding(
  result: OffboardSimResult,
  krypton: KryptonConfig,
  bucket: string,
): string[] {
  const lines: string[] = [];
  lines.push(
    result.sim
      ? `SIM ${result.sim.simId} is ${result.sim.status} at SORACOM: it cannot open a data session to ask Krypton again.`
      : 'SORACOM was not asked (no --sim-id). Until the SIM is suspended or leaves its Krypton SIM group, Krypton gets it a NEW Cognito identity at its next request: ' +
          `suspend it now (User Console → SIM → Suspend, or \`soracom sims suspend --sim-id <id> --coverage-type ${krypton.coverage === 'jp' ? 'jp' : 'g'}\`).`,
  );
  lines.push(
    result.identityDeleted
      ? `Identity ${result.identityId} is unlinked from ${result.unlinked.length} developer user id(s) and deleted from pool ${result.identityPoolId}: Cognito issues it nothing more. Credentials issued before stay valid until they expire (at most an hour).`
      : `Identity ${result.identityId} was already gone from pool ${result.identityPoolId}.`,
  );
  lines.push(
    result.itemsDeleted === null
      ? `Partition ${result.identityId} of ${result.table} was kept (--keep-data).`
      : `${result.itemsDeleted} item(s) of partition ${result.identityId} deleted from ${result.table}.`,
  );
  lines.push(
    `Objects it uploaded stay in s3://${bucket}/ under ${result.bucketPrefixes.join(' and ')}; to delete them: ` +
      result.bucketPrefixes.map((prefix) => `aws s3 rm --recursive s3://${bucket}/${prefix}`).join(' ; ') +
      ' (the bucket keeps noncurrent versions for data.noncurrentVersionExpirationDays).',
  );
  return lines;
}
