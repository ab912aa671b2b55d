import {
  DescribeThingRegistrationTaskCommand,
  IoTClient,
  ListThingRegistrationTaskReportsCommand,
  StartThingRegistrationTaskCommand,
  type DescribeThingRegistrationTaskResponse,
} from '@aws-sdk/client-iot';
import { CloudFormationClient, paginateListStackResources } from '@aws-sdk/client-cloudformation';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { InvalidArgumentError, type Command } from 'commander';
import pLimit from 'p-limit';
import { ConfigError, loadEnvironmentConfig, type KeylessConfig } from '../config';
import { fleetStackName, roleArn as roleArnOf } from '../contract';
import {
  parameterFileKey,
  planBulkRegistration,
  type BulkRegistrationBatch,
  type BulkThing,
} from '../fleet/bulk-registration';
import { layoutFleet } from '../fleet/placement';
import { PartialFailureError, RemoteServiceError, UsageError } from './exit-codes';
import { commandOutput, envOption, jsonOption } from './options';

/** How `keyless fleet register --bulk` talks to the world; tests pass mocks and a fake clock. */
export interface BulkRegisterDeps {
  readonly iot: IoTClient;
  readonly s3: S3Client;
  readonly cloudFormation: CloudFormationClient;
  readonly now: () => Date;
  readonly sleep: (ms: number) => Promise<void>;
  readonly log: (line: string) => void;
}

export interface BulkRegisterOptions {
  /** The role AWS IoT assumes to read the parameter file and register things. @default the environment's bulk registration role */
  readonly roleArn?: string;
  /** @default the environment's device bucket */
  readonly bucket?: string;
  /** Register only these things. @default every thing in the config */
  readonly thingNames?: readonly string[];
  /** Poll DescribeThingRegistrationTask until the task ends. Forced when there is more than one batch. */
  readonly wait?: boolean;
  /** Print what would be uploaded and started, call nothing. */
  readonly dryRun?: boolean;
  /** @default 10 */
  readonly pollSeconds?: number;
  /** Give up waiting (the task keeps running) after this long. @default 3600 */
  readonly timeoutSeconds?: number;
}

/** One StartThingRegistrationTask: started, or (dry run) what would be. */
export interface BulkTaskResult {
  /** Undefined in a dry run. */
  readonly taskId?: string;
  readonly bucket: string;
  readonly key: string;
  readonly thingNames: readonly string[];
  readonly attributeNames: readonly string[];
  /** The provisioning template, as StartThingRegistrationTask takes it. */
  readonly templateBody: string;
  /** The last DescribeThingRegistrationTask answer, when the command waited. */
  readonly final?: DescribeThingRegistrationTaskResponse;
}

export interface BulkRegisterResult {
  readonly dryRun: boolean;
  readonly roleArn: string;
  readonly tasks: readonly BulkTaskResult[];
}

/**
 * The PEM of each thing's CSR. By default the config loader's (it reads and checks every CSR file); tests
 * pass their own.
 */
export type CsrSource = (config: KeylessConfig, thingNames: readonly string[]) => ReadonlyMap<string, string>;

/** CSRs as the config loader read them; a thing without one has not been enrolled yet. */
export const configuredCsrs: CsrSource = (config, thingNames) => {
  const byName = new Map((config.fleet?.things ?? []).map((thing) => [thing.name, thing]));
  const missing: string[] = [];
  const pems = new Map<string, string>();
  for (const name of thingNames) {
    const thing = byName.get(name);
    if (thing?.csrPem === undefined) missing.push(`${name} (${thing?.csrFile ?? 'no CSR file'})`);
    else pems.set(name, thing.csrPem);
  }
  if (missing.length > 0) {
    throw new ConfigError(
      `things without a CSR (enroll them first with keyless enroll): ${missing.join(', ')}`,
    );
  }
  return pems;
};

/**
 * Things that a deployed Fleet stack holds are CloudFormation's: registering them in bulk as well would give
 * each a second certificate outside any stack. So the Fleet stacks the selected things are placed on are
 * asked for their things (ListStackResources), and any found there is refused. A stack that does not exist
 * holds nothing. (A Fleet stack deployed later with a bulk-registered thing fails on the existing thing and
 * rolls back: it cannot take it over.)
 */
async function refuseFleetStackThings(
  cloudFormation: CloudFormationClient,
  config: KeylessConfig,
  thingNames: readonly string[],
): Promise<void> {
  const layout = config.fleet && layoutFleet(config.fleet.things, config.fleet.shardLock);
  const shardOf = new Map((layout?.things ?? []).map((thing) => [thing.name, thing.shard]));
  const shards = [...new Set(thingNames.map((name) => shardOf.get(name)).filter((s) => s !== undefined))];
  const selected = new Set(thingNames);
  // A few stacks at a time: adaptive retry absorbs CloudFormation's throttling, and a large fleet has hundreds.
  const limit = pLimit(4);
  const perStack = await Promise.all(
    shards
      .sort((a, b) => a - b)
      .map((shard) =>
        limit(async () => {
          const stackName = fleetStackName(config.envName, shard);
          const things = await deployedThings(cloudFormation, stackName);
          return things.filter((thing) => selected.has(thing)).map((thing) => `${thing} (${stackName})`);
        }),
      ),
  );
  const managed = perStack.flat();
  if (managed.length === 0) return;
  const shown = managed.slice(0, 5).concat(managed.length > 5 ? [`and ${managed.length - 5} more`] : []);
  throw new RemoteServiceError(
    `${managed.length} of these things are in deployed Fleet stacks, where CloudFormation manages them: ` +
      `${shown.join(', ')}. Bulk registration is for things outside the Fleet stacks.`,
  );
}

/** The thing names (physical ids of AWS::IoT::Thing) in one stack; none when the stack does not exist. */
async function deployedThings(cloudFormation: CloudFormationClient, stackName: string): Promise<string[]> {
  const things: string[] = [];
  try {
    for await (const page of paginateListStackResources(
      { client: cloudFormation },
      { StackName: stackName },
    )) {
      for (const resource of page.StackResourceSummaries ?? []) {
        if (resource.ResourceType === 'AWS::IoT::Thing' && resource.PhysicalResourceId) {
          things.push(resource.PhysicalResourceId);
        }
      }
    }
  } catch (error) {
    // CloudFormation answers a missing stack with a ValidationError "Stack with id … does not exist".
    if (errorName(error) === 'ValidationError' && /does not exist/.test(describe(error))) return [];
    throw new RemoteServiceError(`cannot list the resources of ${stackName}: ${describe(error)}`, {
      cause: error,
    });
  }
  return things;
}

const TERMINAL = new Set(['Completed', 'Failed', 'Cancelled']);

/**
 * Registers the configured things with AWS IoT bulk registration: per batch (see planBulkRegistration) the
 * parameter file goes to the device bucket, StartThingRegistrationTask starts, and — when waiting — the task
 * is polled until it ends. AWS runs one bulk registration task per account at a time, so a second batch
 * starts only after the first has ended.
 */
export async function registerBulk(
  config: KeylessConfig,
  csrs: CsrSource,
  options: BulkRegisterOptions,
  deps: BulkRegisterDeps,
): Promise<BulkRegisterResult> {
  const iotConfig = config.iot;
  if (!iotConfig) {
    throw new ConfigError(`${config.configFile}: bulk registration needs the iot section`);
  }
  const things = selectThings(config, options.thingNames);
  if (things.length === 0) {
    throw new ConfigError(`${config.configFile}: iot.things is empty: nothing to register`);
  }
  const thingNames = things.map((thing) => thing.name);
  const pems = csrs(config, thingNames);
  const bulkThings: BulkThing[] = things.map((thing) => {
    const csrPem = pems.get(thing.name);
    if (csrPem === undefined) throw new Error(`no CSR for thing ${JSON.stringify(thing.name)}`);
    return { name: thing.name, attributes: thing.attributes, csrPem };
  });
  const batches = planBulkRegistration(bulkThings, {
    thingTypeName: iotConfig.thingType.name,
    policyName: iotConfig.policy.name,
  });
  const bucket = options.bucket ?? config.names.deviceBucket;
  const roleArn =
    options.roleArn ?? roleArnOf(config.account, config.region, config.names.bulkRegistrationRole);
  const now = deps.now();
  const keyOf = (index: number): string => parameterFileKey(now, batches.length > 1 ? index + 1 : undefined);

  if (options.dryRun) {
    describeDryRun(batches, { bucket, roleArn, keyOf, region: config.region }, deps.log);
    const tasks = batches.map((batch, index) => ({ ...taskOf(batch), bucket, key: keyOf(index) }));
    return { dryRun: true, roleArn, tasks };
  }
  await refuseFleetStackThings(deps.cloudFormation, config, thingNames);

  const results: BulkTaskResult[] = [];
  for (const [index, batch] of batches.entries()) {
    const key = keyOf(index);
    await upload(deps.s3, config.account, bucket, key, batch.parameterFile);
    deps.log(`uploaded s3://${bucket}/${key} (${batch.thingNames.length} things)`);
    const taskId = await start(deps.iot, batch, bucket, key, roleArn);
    deps.log(`started bulk registration task ${taskId}`);
    const mustWait = options.wait === true || index < batches.length - 1;
    const final = mustWait ? await waitForTask(deps, taskId, options) : undefined;
    results.push({ ...taskOf(batch), taskId, bucket, key, final });
  }
  if (!options.wait) {
    const last = results[results.length - 1];
    deps.log(`follow it with: aws iot describe-thing-registration-task --task-id ${last.taskId}`);
  }
  return { dryRun: false, roleArn, tasks: results };
}

function taskOf({ thingNames, attributeNames, templateBody }: BulkRegistrationBatch) {
  return { thingNames, attributeNames, templateBody };
}

function selectThings(config: KeylessConfig, names: readonly string[] | undefined) {
  const all = config.iot?.things ?? [];
  if (names === undefined || names.length === 0) return all;
  const byName = new Map(all.map((thing) => [thing.name, thing]));
  const unknown = names.filter((name) => !byName.has(name));
  if (unknown.length > 0) {
    throw new UsageError(`${config.configFile}: no such thing in iot.things: ${unknown.join(', ')}`);
  }
  return [...new Set(names)].map((name) => byName.get(name)!);
}

async function upload(
  s3: S3Client,
  account: string,
  bucket: string,
  key: string,
  body: string,
): Promise<void> {
  try {
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: body,
        ContentType: 'application/x-ndjson',
        // Refuse to hand device CSRs to a bucket of the same name in someone else's account.
        ExpectedBucketOwner: account,
      }),
    );
  } catch (error) {
    const name = errorName(error);
    if (name === 'NoSuchBucket') {
      throw new RemoteServiceError(
        `bucket ${bucket} does not exist: deploy the Data stack first, or pass --bucket`,
        { cause: error },
      );
    }
    throw new RemoteServiceError(
      `cannot upload the parameter file to s3://${bucket}/${key}: ${describe(error)}`,
      { cause: error },
    );
  }
}

async function start(
  iot: IoTClient,
  batch: BulkRegistrationBatch,
  bucket: string,
  key: string,
  roleArn: string,
): Promise<string> {
  try {
    const answer = await iot.send(
      new StartThingRegistrationTaskCommand({
        templateBody: batch.templateBody,
        inputFileBucket: bucket,
        inputFileKey: key,
        roleArn,
      }),
    );
    if (!answer.taskId) throw new RemoteServiceError('the answer has no taskId');
    return answer.taskId;
  } catch (error) {
    throw new RemoteServiceError(`StartThingRegistrationTask failed (role ${roleArn}): ${describe(error)}`, {
      cause: error,
    });
  }
}

async function waitForTask(
  deps: BulkRegisterDeps,
  taskId: string,
  options: BulkRegisterOptions,
): Promise<DescribeThingRegistrationTaskResponse> {
  const pollMs = (options.pollSeconds ?? 10) * 1000;
  const deadline = deps.now().getTime() + (options.timeoutSeconds ?? 3600) * 1000;
  let last = '';
  for (;;) {
    const task = await deps.iot.send(new DescribeThingRegistrationTaskCommand({ taskId }));
    const line =
      `task ${taskId}: ${task.status} ${task.percentageProgress ?? 0}% ` +
      `(${task.successCount ?? 0} registered, ${task.failureCount ?? 0} failed)`;
    if (line !== last) deps.log(line);
    last = line;
    if (task.status !== undefined && TERMINAL.has(task.status)) {
      if (task.status !== 'Completed' || (task.failureCount ?? 0) > 0) {
        const reports = await errorReports(deps.iot, taskId);
        // Completed with failures: the other things are registered. Failed or cancelled: AWS IoT stopped it.
        const Failure = task.status === 'Completed' ? PartialFailureError : RemoteServiceError;
        throw new Failure(
          `bulk registration task ${taskId} ended ${task.status} with ${task.failureCount ?? 0} failed things` +
            (task.message ? `: ${task.message}` : '') +
            (reports.length > 0 ? `\nerror reports:\n${reports.join('\n')}` : ''),
        );
      }
      return task;
    }
    if (deps.now().getTime() >= deadline) {
      throw new RemoteServiceError(
        `bulk registration task ${taskId} is still ${task.status} after ${options.timeoutSeconds ?? 3600} s; ` +
          `it keeps running: aws iot describe-thing-registration-task --task-id ${taskId}`,
      );
    }
    await deps.sleep(pollMs);
  }
}

/** Links to the task's error reports (one JSON line per failed thing, with the reason). */
async function errorReports(iot: IoTClient, taskId: string): Promise<string[]> {
  const links: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await iot.send(
      new ListThingRegistrationTaskReportsCommand({ taskId, reportType: 'ERRORS', nextToken }),
    );
    links.push(...(page.resourceLinks ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return links;
}

function describeDryRun(
  batches: readonly BulkRegistrationBatch[],
  where: { bucket: string; roleArn: string; region: string; keyOf: (index: number) => string },
  log: (line: string) => void,
): void {
  log(
    `dry run: nothing is uploaded or started, deployed Fleet stacks are not checked ` +
      `(region ${where.region}, role ${where.roleArn})`,
  );
  for (const [index, batch] of batches.entries()) {
    log('');
    log(
      `task ${index + 1} of ${batches.length}: ${batch.thingNames.length} things with attributes ` +
        `[${batch.attributeNames.join(', ')}] from s3://${where.bucket}/${where.keyOf(index)}`,
    );
    log('provisioning template:');
    log(JSON.stringify(JSON.parse(batch.templateBody), null, 2));
    const lines = batch.parameterFile.trimEnd().split('\n');
    log(
      `parameter file: ${lines.length} lines, ${Buffer.byteLength(batch.parameterFile)} bytes; first lines:`,
    );
    for (const line of lines.slice(0, 3)) {
      const values = JSON.parse(line) as Record<string, string>;
      log(JSON.stringify({ ...values, CSR: `<${values.CSR.length} characters of PEM>` }));
    }
  }
}

function errorName(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.name && error.name !== 'Error' ? `${error.name}: ${error.message}` : error.message;
}

/** SDK clients for bulk work: adaptive retry, and AWS_ENDPOINT_URL_IOT / _S3 honoured by the SDK itself. */
export function bulkClients(region: string): Pick<BulkRegisterDeps, 'iot' | 's3' | 'cloudFormation'> {
  const retry = { region, retryMode: 'adaptive', maxAttempts: 8 } as const;
  return {
    iot: new IoTClient(retry),
    cloudFormation: new CloudFormationClient(retry),
    // Local S3 stand-ins (s3rver) serve buckets by path, not by virtual host.
    s3: new S3Client({ ...retry, forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL_S3) }),
  };
}

/** What the command needs besides AWS: where configs and CSRs come from. Tests replace any of them. */
export interface FleetRegisterCommandDeps extends Partial<BulkRegisterDeps> {
  readonly loadConfig?: (envName: string) => KeylessConfig;
  /** @default configuredCsrs */
  readonly csrs?: CsrSource;
  readonly streams?: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream };
}

/** `keyless fleet register --bulk --env <env>`. */
export function registerFleetRegisterCommand(fleet: Command, deps: FleetRegisterCommandDeps = {}): void {
  fleet
    .command('register')
    .description(
      'Register things with AWS IoT bulk registration (StartThingRegistrationTask) instead of Fleet stacks',
    )
    .addOption(envOption())
    .option(
      '--bulk',
      'use AWS IoT bulk registration (the only mode: Fleet stacks are deployed with cdk deploy)',
    )
    .option('--thing <name...>', 'register only these things')
    .option('--role-arn <arn>', 'role AWS IoT assumes to read the parameter file and register things')
    .option('--bucket <name>', 'bucket for the parameter file (default: the device bucket)')
    .option('--wait', 'poll the task until it ends and fail if any thing failed')
    .option('--poll-seconds <n>', 'seconds between polls while waiting', positiveInt)
    .option('--dry-run', 'print the template and the parameter file summary, call nothing')
    .addOption(jsonOption())
    .action(async (opts: Record<string, unknown>) => {
      if (!opts.bulk) {
        throw new UsageError(
          'fleet register needs --bulk: without it, things are registered by deploying the Fleet stacks (npx cdk deploy)',
        );
      }
      const output = commandOutput(Boolean(opts.json), deps.streams);
      const config = (deps.loadConfig ?? loadEnvironmentConfig)(String(opts.env));
      const defaults = deps.iot && deps.s3 && deps.cloudFormation ? undefined : bulkClients(config.region);
      const clients = {
        iot: deps.iot ?? defaults!.iot,
        s3: deps.s3 ?? defaults!.s3,
        cloudFormation: deps.cloudFormation ?? defaults!.cloudFormation,
      };
      const log = deps.log ?? output.say;
      const result = await registerBulk(
        config,
        deps.csrs ?? configuredCsrs,
        {
          roleArn: opts.roleArn as string | undefined,
          bucket: opts.bucket as string | undefined,
          thingNames: opts.thing as string[] | undefined,
          wait: Boolean(opts.wait),
          dryRun: Boolean(opts.dryRun),
          pollSeconds: opts.pollSeconds as number | undefined,
        },
        {
          ...clients,
          now: deps.now ?? (() => new Date()),
          sleep: deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
          log,
        },
      );
      for (const task of result.tasks) {
        if (task.final) log(`task ${task.taskId}: ${task.final.successCount ?? 0} things registered`);
      }
      output.result({
        env: config.envName,
        dryRun: result.dryRun,
        roleArn: result.roleArn,
        tasks: result.tasks.map((task) => ({
          taskId: task.taskId ?? null,
          bucket: task.bucket,
          key: task.key,
          thingNames: task.thingNames,
          attributeNames: task.attributeNames,
          template: JSON.parse(task.templateBody) as unknown,
          status: task.final?.status ?? null,
          successCount: task.final?.successCount ?? null,
          failureCount: task.final?.failureCount ?? null,
        })),
      });
    });
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new InvalidArgumentError(`expected a positive integer, got: ${value}`);
  return n;
}
