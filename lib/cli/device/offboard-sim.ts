import {
  DeleteIdentitiesCommand,
  DescribeIdentityCommand,
  LookupDeveloperIdentityCommand,
  UnlinkDeveloperIdentityCommand,
} from '@aws-sdk/client-cognito-identity';
import {
  BatchWriteItemCommand,
  QueryCommand,
  type AttributeValue,
  type QueryCommandInput,
  type QueryCommandOutput,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { ConfigError, type KeylessConfig } from '../../config';
import type { KryptonConfig } from '../../config/sections/krypton';
import { BUCKET_LAYOUT, LIFECYCLE_RULES, OUTPUTS, follows } from '../../contract';
import { checkedSoracomEndpoint, SoracomClient, soracomEndpoint } from '../../soracom/api-client';
import { assertCallerMatches, describeAwsError } from '../operator-clients';
import { DeployedOutputs } from '../deployed-outputs';
import { RemoteServiceError, UsageError } from '../exit-codes';
import { soracomAuthKey, withSoracomOutcomes, type SoracomAuthKey } from '../soracom-credentials';
import type { DeviceClients } from './context';

/**
 * Ends a Krypton SIM's access and removes what it left. It first reads everything it will change and shows it
 * (the plan): the SIM as SORACOM describes it (`GET /v1/sims/{sim_id}`: its IMSIs and ICCID), the identity's
 * developer user identifiers (LookupDeveloperIdentity) and description (DescribeIdentity), and the item count of
 * its partition. It refuses when the identity's identifiers name another SIM, and — unless
 * `allowUnverifiedIdentity` — when nothing shows the identity is the SIM's (no `--sim-id`, no identity or
 * identifier, identifiers without a SIM number): nothing else links `--identity-id` to `--sim-id`, so a typo
 * would delete another SIM's identity and data. `dryRun` stops after the plan; otherwise the operator confirms
 * on a terminal or passes `yes`. Then, in the order that closes the door first:
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
  /** Suspend this SIM at SORACOM first, and check the identity is its own. */
  readonly simId?: string;
  /** Keep the device-table partition (for an investigation, say). */
  readonly keepData?: boolean;
  /** Read everything, say what would go, change nothing. */
  readonly dryRun?: boolean;
  /** Go ahead without asking (needed when there is no terminal to ask on). */
  readonly yes?: boolean;
  /** Go ahead although nothing the APIs answer shows the identity is the SIM's (never when they show it is not). */
  readonly allowUnverifiedIdentity?: boolean;
}

export interface OffboardSimIo {
  readonly env: NodeJS.ProcessEnv;
  readonly askAuthKey?: () => Promise<SoracomAuthKey>;
  /** Asks the operator a yes/no question on the terminal; undefined when there is no terminal. */
  readonly confirm?: (question: string) => Promise<boolean>;
  readonly note: (line: string) => void;
  readonly fetchImpl?: typeof fetch;
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * Whether the identity is the SIM's, as far as Cognito and SORACOM can tell: `verified` when one of the
 * identity's developer user identifiers names the SIM (one of its IMSIs, its ICCID or its SIM ID, as a whole run
 * of digits); `mismatch` when they name a SIM-like number that is none of this SIM's; `unverifiable` otherwise (no
 * `--sim-id`, no identity, no identifier, or identifiers that name no SIM-like number).
 */
export interface Ownership {
  readonly verdict: 'verified' | 'mismatch' | 'unverifiable';
  /** One sentence: what matched, or why it cannot be told. */
  readonly reason: string;
}

/** What the command found before changing anything: the plan `--dry-run` shows and the confirmation asks about. */
export interface OffboardPlan {
  /** The SIM as SORACOM describes it now; null without `--sim-id`. */
  readonly sim: {
    readonly simId: string;
    readonly status: string;
    readonly imsis: readonly string[];
    readonly iccids: readonly string[];
  } | null;
  /** Whether the identity exists in the pool. */
  readonly identityExists: boolean;
  /** The developer user identifiers (Krypton's names for the SIM) linked to the identity. */
  readonly developerUserIdentifiers: readonly string[];
  /** The providers the identity has logins with (DescribeIdentity), and when it was created and last changed. */
  readonly logins: readonly string[];
  readonly identityCreated: string | null;
  readonly identityLastModified: string | null;
  /** Items in its device-table partition; null with `keepData`. */
  readonly partitionItems: number | null;
  readonly ownership: Ownership;
}

export interface OffboardSimResult {
  readonly env: string;
  readonly identityId: string;
  readonly identityPoolId: string;
  readonly dryRun: boolean;
  readonly plan: OffboardPlan;
  /** The SIM as SORACOM answered after suspending it; null without `--sim-id` or with `dryRun`. */
  readonly sim: { readonly simId: string; readonly status: string } | null;
  /** The developer user identifiers (Krypton's names for the SIM) unlinked from the identity. */
  readonly unlinked: readonly string[];
  /** False when the identity was already gone (and with `dryRun`). */
  readonly identityDeleted: boolean;
  readonly table: string;
  /** Items deleted from the partition; null with `keepData` or `dryRun`. */
  readonly itemsDeleted: number | null;
  /** Bucket prefixes that still hold what the SIM uploaded. */
  readonly bucketPrefixes: readonly string[];
}

/** What the SAM user needs for `--sim-id`. */
const SORACOM_PERMISSIONS = 'Sim:getSim and Sim:suspendSim';

/** SIM statuses in which the SIM cannot open a data session, so cannot reach Krypton (the Sim schema's enum). */
const SIM_STATUSES_WITHOUT_SESSIONS = new Set(['suspended', 'terminated']);

/**
 * The shortest run of digits that is read as naming a SIM: an IMSI has at most 15 digits and, with a 3-digit
 * MCC and a 2- or 3-digit MNC, no fewer than 14 in SORACOM's plans; ICCIDs have 18-20 (ITU-T E.118).
 */
const SIM_NUMBER_MIN_DIGITS = 14;

export async function offboardSim(
  config: KeylessConfig,
  clients: DeviceClients,
  options: OffboardSimOptions,
  io: OffboardSimIo,
): Promise<OffboardSimResult> {
  const krypton = config.krypton;
  if (!krypton) {
    throw new ConfigError(`environment ${config.envName} has no krypton section in ${config.configFile}`);
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

  // Asking comes after reading: without --yes, there must be a terminal to ask on, or nothing is read at all.
  if (!options.dryRun && !options.yes && !io.confirm) {
    throw new UsageError(
      'offboard-sim deletes an identity and its data: not on a terminal, so nothing can be confirmed. ' +
        'Read the plan with --dry-run, then run again with --yes',
    );
  }

  await assertCallerMatches(clients, config);
  const outputs = new DeployedOutputs(clients.cloudFormation, config);
  const identityPoolId = await outputs.require(OUTPUTS.KryptonAccess.identityPoolId);
  const developerProviderName = await outputs.require(OUTPUTS.KryptonAccess.developerProviderName);
  const table = config.names.deviceTable;
  const partition = {
    table,
    partitionKey: config.data.deviceTable.partitionKey,
    sortKey: config.data.deviceTable.sortKey,
    value: identityId,
    sleep: io.sleep,
  };

  // 1. Read: the SIM, the identity, the partition. Nothing changes until all of it is understood.
  const soracom = options.simId !== undefined ? await soracomSession(krypton, soracomApi!, io) : undefined;
  const simNow =
    options.simId !== undefined
      ? await withSoracomOutcomes(krypton.coverage, () => soracom!.getSim(options.simId!))
      : undefined;
  const identity = await describeIdentity(clients, config, identityPoolId, identityId);
  const partitionItems = options.keepData ? null : await countPartition(clients, config, partition);
  const plan: OffboardPlan = {
    sim: simNow
      ? { simId: simNow.simId, status: simNow.status, imsis: simNow.imsis, iccids: simNow.iccids }
      : null,
    identityExists: identity.exists,
    developerUserIdentifiers: identity.identifiers,
    logins: identity.logins,
    identityCreated: identity.created,
    identityLastModified: identity.lastModified,
    partitionItems,
    ownership: ownershipOf(identity, simNow, identityId),
  };
  describePlan(plan, identityId, identityPoolId, table).forEach((line) => io.note(line));

  // 2. Refuse what does not add up, then ask.
  if (plan.ownership.verdict === 'mismatch') {
    throw new UsageError(
      `identity ${identityId} is not SIM ${options.simId}'s: ${plan.ownership.reason}. Nothing changed; check --identity-id`,
    );
  }
  if (plan.ownership.verdict === 'unverifiable' && !options.allowUnverifiedIdentity) {
    throw new UsageError(
      `cannot tell that identity ${identityId} belongs to ${options.simId !== undefined ? `SIM ${options.simId}` : 'the SIM'}: ${plan.ownership.reason}. ` +
        'Nothing changed. If you are sure of --identity-id, run again with --allow-unverified-identity',
    );
  }
  const base = {
    env: config.envName,
    identityId,
    identityPoolId,
    plan,
    table,
    bucketPrefixes: [
      `${BUCKET_LAYOUT.krypton}${identityId}/`,
      ...(config.closedNetwork ? [`${config.closedNetwork.prefix}${identityId}/`] : []),
    ],
  };
  if (options.dryRun) {
    return { ...base, dryRun: true, sim: null, unlinked: [], identityDeleted: false, itemsDeleted: null };
  }
  if (!options.yes) {
    const confirmed = await io.confirm!(
      `Suspend ${options.simId !== undefined ? `SIM ${options.simId}` : 'no SIM'}, delete identity ${identityId}` +
        `${partitionItems === null ? '' : ` and ${partitionItems} item(s) of its partition`}? Type "yes" to go ahead: `,
    );
    if (!confirmed) throw new UsageError('not confirmed: nothing changed');
  }

  // 3. Act, closing the door first.
  // A SIM already suspended or terminated opens no data session: asking SORACOM to suspend it again could only fail.
  const sim = !simNow
    ? null
    : SIM_STATUSES_WITHOUT_SESSIONS.has(simNow.status)
      ? { simId: simNow.simId, status: simNow.status }
      : await withSoracomOutcomes(krypton.coverage, () => soracom!.suspendSim(simNow.simId));
  if (sim) io.note(`SORACOM: SIM ${sim.simId} is ${sim.status}.`);

  const { unlinked, existed } = await endIdentity(
    clients,
    config,
    identityPoolId,
    developerProviderName,
    identityId,
    identity,
  );
  io.note(
    existed
      ? `Cognito: identity ${identityId} unlinked (${unlinked.length} developer user id(s)) and deleted.`
      : `Cognito: identity ${identityId} does not exist (already deleted).`,
  );

  let itemsDeleted: number | null = null;
  if (!options.keepData) {
    itemsDeleted = await deletePartition(clients, config, partition);
    io.note(`DynamoDB: ${itemsDeleted} item(s) deleted from partition ${identityId} of ${table}.`);
  }
  return {
    ...base,
    dryRun: false,
    sim: sim ? { simId: sim.simId, status: sim.status } : null,
    unlinked,
    identityDeleted: existed,
    itemsDeleted,
  };
}

/** Logs in to the SORACOM API once; the same session reads the SIM and suspends it. */
async function soracomSession(
  krypton: KryptonConfig,
  endpoint: string,
  io: OffboardSimIo,
): Promise<SoracomClient> {
  const auth = await soracomAuthKey(io, `read and suspend SIMs (${SORACOM_PERMISSIONS})`);
  return withSoracomOutcomes(krypton.coverage, () =>
    SoracomClient.login({
      endpoint,
      ...auth,
      fetchImpl: io.fetchImpl,
      sleep: async (ms) => {
        io.note(`SORACOM API rate limit reached: waiting ${Math.ceil(ms / 1000)} s before retrying`);
        await (io.sleep ?? ((wait) => new Promise((resolve) => setTimeout(resolve, wait))))(ms);
      },
    }),
  );
}

/** The identity as Cognito knows it: its developer user identifiers (every page) and its description. */
interface IdentityFacts {
  readonly exists: boolean;
  readonly identifiers: readonly string[];
  readonly logins: readonly string[];
  readonly created: string | null;
  readonly lastModified: string | null;
}

async function describeIdentity(
  clients: DeviceClients,
  config: KeylessConfig,
  identityPoolId: string,
  identityId: string,
): Promise<IdentityFacts> {
  const gone: IdentityFacts = {
    exists: false,
    identifiers: [],
    logins: [],
    created: null,
    lastModified: null,
  };
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
    const description = await clients.cognitoIdentity.send(
      new DescribeIdentityCommand({ IdentityId: identityId }),
    );
    if (description.IdentityId !== undefined && description.IdentityId !== identityId) {
      throw new RemoteServiceError(
        `Cognito described identity ${description.IdentityId} when asked about ${identityId}: nothing changed`,
      );
    }
    return {
      exists: true,
      identifiers: linked,
      logins: description.Logins ?? [],
      created: description.CreationDate?.toISOString() ?? null,
      lastModified: description.LastModifiedDate?.toISOString() ?? null,
    };
  } catch (error) {
    if ((error as { name?: string }).name === 'ResourceNotFoundException') return gone;
    if (error instanceof RemoteServiceError) throw error;
    throw describeAwsError(error, config);
  }
}

/** {@link Ownership} of the identity, from its developer user identifiers and the SIM SORACOM describes. */
export function ownershipOf(
  identity: Pick<IdentityFacts, 'exists' | 'identifiers'>,
  sim:
    | { readonly simId: string; readonly imsis: readonly string[]; readonly iccids: readonly string[] }
    | undefined,
  identityId: string,
): Ownership {
  if (!sim) {
    return {
      verdict: 'unverifiable',
      reason: 'no --sim-id, so nothing links the identity to a SIM',
    };
  }
  if (!identity.exists) {
    return {
      verdict: 'unverifiable',
      reason: `identity ${identityId} does not exist in the pool, so Cognito names no SIM for it`,
    };
  }
  if (identity.identifiers.length === 0) {
    return {
      verdict: 'unverifiable',
      reason: `identity ${identityId} has no developer user identifier, so Cognito names no SIM for it`,
    };
  }
  const names = new Map<string, string>([
    ...sim.imsis.map((imsi) => [imsi, `IMSI ${imsi}`] as const),
    ...sim.iccids.map((iccid) => [iccid, `ICCID ${iccid}`] as const),
    [sim.simId, `SIM ID ${sim.simId}`],
  ]);
  const numbersOf = (identifier: string): string[] => identifier.match(/\d+/g) ?? [];
  for (const identifier of identity.identifiers) {
    const match =
      numbersOf(identifier).find((run) => names.has(run)) ?? (names.has(identifier) ? identifier : undefined);
    if (match !== undefined) {
      return {
        verdict: 'verified',
        reason: `developer user identifier ${JSON.stringify(identifier)} names the SIM's ${names.get(match)}`,
      };
    }
  }
  const foreign = identity.identifiers.filter((identifier) =>
    numbersOf(identifier).some((run) => run.length >= SIM_NUMBER_MIN_DIGITS),
  );
  if (foreign.length > 0) {
    return {
      verdict: 'mismatch',
      reason:
        `its developer user identifier(s) ${foreign.map((i) => JSON.stringify(i)).join(', ')} name a SIM, but none of SIM ${sim.simId}'s numbers ` +
        `(IMSI ${sim.imsis.join(', ') || 'none'}; ICCID ${sim.iccids.join(', ') || 'none'})`,
    };
  }
  return {
    verdict: 'unverifiable',
    reason: `its developer user identifier(s) ${identity.identifiers.map((i) => JSON.stringify(i)).join(', ')} carry no IMSI, ICCID or SIM ID to compare`,
  };
}

/** Items in one partition: Query with Select COUNT, strongly consistent, every page. */
async function countPartition(
  clients: Pick<DeviceClients, 'dynamoDb'>,
  config: KeylessConfig,
  target: PartitionDeletion,
): Promise<number> {
  return inOperatorWords(config, async () => {
    let count = 0;
    const pages = partitionPages(clients, target, {
      ExpressionAttributeNames: { '#pk': target.partitionKey },
      Select: 'COUNT',
    });
    for await (const page of pages) {
      if (typeof page.Count !== 'number' || !Number.isInteger(page.Count) || page.Count < 0) {
        throw new RemoteServiceError(
          `DynamoDB answered no item count for partition ${target.value} of ${target.table}: nothing changed`,
        );
      }
      count += page.Count;
    }
    return count;
  });
}

/**
 * Every page of a strongly consistent Query of one partition (`#pk` is its key), following LastEvaluatedKey. A
 * page key DynamoDB answers a second time stops it: that is a loop, not a partition without end.
 */
async function* partitionPages(
  clients: Pick<DeviceClients, 'dynamoDb'>,
  target: PartitionDeletion,
  query: Pick<QueryCommandInput, 'ExpressionAttributeNames' | 'Select' | 'ProjectionExpression'>,
): AsyncGenerator<QueryCommandOutput> {
  let startKey: Record<string, AttributeValue> | undefined;
  const seen = new Set<string>();
  do {
    const page = await clients.dynamoDb.send(
      new QueryCommand({
        TableName: target.table,
        KeyConditionExpression: '#pk = :id',
        ExpressionAttributeValues: { ':id': { S: target.value } },
        ConsistentRead: true,
        ExclusiveStartKey: startKey,
        ...query,
      }),
    );
    yield page;
    startKey = page.LastEvaluatedKey;
    if (startKey) {
      const marker = JSON.stringify(startKey);
      if (seen.has(marker))
        throw new RemoteServiceError(`DynamoDB repeated a page of partition ${target.value}`);
      seen.add(marker);
    }
  } while (startKey);
}

/** Runs AWS calls, an AWS error said in the operator's words (a RemoteServiceError this file wrote already is). */
async function inOperatorWords<T>(config: KeylessConfig, calls: () => Promise<T>): Promise<T> {
  try {
    return await calls();
  } catch (error) {
    if (error instanceof RemoteServiceError) throw error;
    throw describeAwsError(error, config);
  }
}

/** The plan, for people (stderr): what will go, and whether the identity is the SIM's. */
export function describePlan(
  plan: OffboardPlan,
  identityId: string,
  identityPoolId: string,
  table: string,
): string[] {
  const lines = [
    plan.sim
      ? `SIM ${plan.sim.simId} (${plan.sim.status}; IMSI ${plan.sim.imsis.join(', ') || 'none'}; ICCID ${plan.sim.iccids.join(', ') || 'none'}): ` +
        (SIM_STATUSES_WITHOUT_SESSIONS.has(plan.sim.status)
          ? `already ${plan.sim.status}, left so.`
          : 'will be suspended.')
      : 'No --sim-id: SORACOM is neither asked nor changed.',
    plan.identityExists
      ? `Identity ${identityId} of pool ${identityPoolId}: developer user identifier(s) ${plan.developerUserIdentifiers.map((i) => JSON.stringify(i)).join(', ') || 'none'}; ` +
        `logins ${plan.logins.join(', ') || 'none'}; created ${plan.identityCreated ?? 'unknown'}, last modified ${plan.identityLastModified ?? 'unknown'}: will be unlinked and deleted.`
      : `Identity ${identityId} does not exist in pool ${identityPoolId} (already deleted, or mistyped).`,
    plan.partitionItems === null
      ? `Partition ${identityId} of ${table}: kept (--keep-data).`
      : `Partition ${identityId} of ${table}: ${plan.partitionItems} item(s) will be deleted.`,
    `Ownership: ${plan.ownership.verdict} (${plan.ownership.reason}).`,
  ];
  return lines;
}

/** Unlinks every developer user identifier the plan read, then deletes the identity. */
async function endIdentity(
  clients: DeviceClients,
  config: KeylessConfig,
  identityPoolId: string,
  developerProviderName: string,
  identityId: string,
  identity: IdentityFacts,
): Promise<{ unlinked: string[]; existed: boolean }> {
  if (!identity.exists) return { unlinked: [], existed: false };
  await inOperatorWords(config, async () => {
    for (const developerUserIdentifier of identity.identifiers) {
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
  });
  return { unlinked: [...identity.identifiers], existed: true };
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
  return inOperatorWords(config, async () => {
    let deleted = 0;
    const pages = partitionPages(clients, target, {
      ExpressionAttributeNames: { '#pk': target.partitionKey, '#sk': target.sortKey },
      ProjectionExpression: '#pk, #sk',
    });
    for await (const page of pages) {
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
    }
    return deleted;
  });
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
  if (result.dryRun) {
    return [
      `Dry run: nothing changed. Ownership ${result.plan.ownership.verdict}: the command would go ahead (after --yes or a confirmation).`,
      `Objects it uploaded are under s3://${bucket}/${result.bucketPrefixes.join(` and s3://${bucket}/`)} (never deleted by this command).`,
    ];
  }
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
